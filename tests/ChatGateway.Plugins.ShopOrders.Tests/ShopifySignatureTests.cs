using System.Text;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>Shopify's <c>X-Shopify-Hmac-Sha256</c>: base64 HMAC-SHA256 of the raw body with the app's client secret.</summary>
public sealed class ShopifySignatureTests
{
    private const string Secret = "shpss_test-client-secret-for-order-webhooks";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":450789469,"name":"#1001"}""");

    // Computed apart from the code under test:
    // printf '%s' '{"id":450789469,"name":"#1001"}' | openssl dgst -sha256 -hmac "$secret" -binary | base64
    private const string OpensslHmac = "N4uoV9Vsikdonork+6UGjiIfcXQqhb7iIP12ty55abI=";

    [Fact]
    public void Sign_MatchesOpenssl()
    {
        Assert.Equal(OpensslHmac, ShopifySignature.Sign(Secret, Body));
    }

    [Fact]
    public void Verify_TheRightHmac_Verifies_AlsoWithSurroundingWhitespace()
    {
        Assert.Null(ShopifySignature.Verify(Secret, OpensslHmac, Body));
        Assert.Null(ShopifySignature.Verify(Secret, " " + OpensslHmac + " ", Body));
    }

    [Fact]
    public void Verify_AnotherSecret_IsRefused()
    {
        Assert.Equal("X-Shopify-Hmac-Sha256 does not match the body", ShopifySignature.Verify("shpss_another-secret", OpensslHmac, Body));
    }

    [Fact]
    public void Verify_ABodyChangedByOneByte_IsRefused()
    {
        var changed = Encoding.UTF8.GetBytes("""{"id":450789469,"name":"#1002"}""");
        Assert.Equal("X-Shopify-Hmac-Sha256 does not match the body", ShopifySignature.Verify(Secret, OpensslHmac, changed));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Verify_NoHeader_IsRefusedNamingIt(string? header)
    {
        Assert.Equal("X-Shopify-Hmac-Sha256 header is required", ShopifySignature.Verify(Secret, header, Body));
    }

    [Fact]
    public void Verify_TheHexDigestInsteadOfBase64_IsRefused()
    {
        var hex = Convert.ToHexStringLower(Convert.FromBase64String(OpensslHmac));
        Assert.NotNull(ShopifySignature.Verify(Secret, hex, Body));
    }
}
