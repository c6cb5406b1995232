using System.Text;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>Standard Webhooks signatures: checked against the spec's published example, then each way a request can fail.</summary>
public sealed class StandardWebhooksTests
{
    // The example of the Standard Webhooks spec (its test vector): secret, id, timestamp, body and signature.
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string SpecTimestamp = "1614265330";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static readonly byte[] SpecBody = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
    private static readonly DateTimeOffset SpecTime = DateTimeOffset.FromUnixTimeSeconds(1614265330);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static byte[] Key => StandardWebhooks.SecretBytes(SpecSecret)!;

    [Fact]
    public void Sign_TheSpecsExample_GivesItsPublishedSignature()
    {
        Assert.Equal(SpecSignature, StandardWebhooks.Sign(Key, SpecId, 1614265330, SpecBody));
    }

    [Fact]
    public void Verify_TheSpecsExampleAtItsTime_Verifies()
    {
        Assert.Null(StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, SpecSignature, SpecBody, SpecTime, Tolerance));
    }

    [Fact]
    public void Verify_WithinTheTolerance_Verifies_EitherSide()
    {
        Assert.Null(StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, SpecSignature, SpecBody, SpecTime + Tolerance, Tolerance));
        Assert.Null(StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, SpecSignature, SpecBody, SpecTime - Tolerance, Tolerance));
    }

    [Fact]
    public void Verify_AnotherSecret_IsRefused()
    {
        var other = StandardWebhooks.SecretBytes("whsec_" + Convert.ToBase64String(new byte[32]))!;
        Assert.Equal("webhook-signature does not match the body", StandardWebhooks.Verify(other, SpecId, SpecTimestamp, SpecSignature, SpecBody, SpecTime, Tolerance));
    }

    [Theory]
    [InlineData("body")]
    [InlineData("id")]
    [InlineData("timestamp")]
    public void Verify_AnyPartChangedAfterSigning_IsRefused(string changed)
    {
        var body = changed == "body" ? Encoding.UTF8.GetBytes("{\"test\": 2432232315}") : SpecBody;
        var id = changed == "id" ? SpecId + "x" : SpecId;
        var timestamp = changed == "timestamp" ? "1614265331" : SpecTimestamp;
        Assert.Equal("webhook-signature does not match the body", StandardWebhooks.Verify(Key, id, timestamp, SpecSignature, body, SpecTime, Tolerance));
    }

    [Fact]
    public void Verify_ATimestampOlderThanTheTolerance_IsRefusedAsAReplay()
    {
        var now = SpecTime + Tolerance + TimeSpan.FromSeconds(1);
        Assert.Contains("too old", StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, SpecSignature, SpecBody, now, Tolerance), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ATimestampFurtherAheadThanTheTolerance_IsRefusedAsAWrongClock()
    {
        var now = SpecTime - Tolerance - TimeSpan.FromSeconds(1);
        Assert.Contains("in the future", StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, SpecSignature, SpecBody, now, Tolerance), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, SpecTimestamp, SpecSignature)]
    [InlineData(SpecId, null, SpecSignature)]
    [InlineData(SpecId, SpecTimestamp, null)]
    [InlineData("", SpecTimestamp, SpecSignature)]
    [InlineData(SpecId, "", SpecSignature)]
    [InlineData(SpecId, SpecTimestamp, "")]
    public void Verify_AMissingHeader_IsRefusedNamingTheHeaders(string? id, string? timestamp, string? signature)
    {
        Assert.Equal(
            "webhook-id, webhook-timestamp and webhook-signature headers are required",
            StandardWebhooks.Verify(Key, id, timestamp, signature, SpecBody, SpecTime, Tolerance));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-1614265330")]
    [InlineData("1614265330.5")]
    public void Verify_ATimestampThatIsNotUnixSeconds_IsRefused(string timestamp)
    {
        Assert.Equal("webhook-timestamp must be Unix seconds", StandardWebhooks.Verify(Key, SpecId, timestamp, SpecSignature, SpecBody, SpecTime, Tolerance));
    }

    [Theory]
    // Secret rotation: the sender signs with the old and the new secret; one matching is enough, wherever it stands.
    [InlineData("v1,bm9wZQ== " + SpecSignature)]
    [InlineData(SpecSignature + " v1,bm9wZQ==")]
    [InlineData("v1a,bm9wZQ==  " + SpecSignature)]
    public void Verify_SeveralSignaturesOneValid_Verifies(string signatures)
    {
        Assert.Null(StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, signatures, SpecBody, SpecTime, Tolerance));
    }

    [Theory]
    [InlineData("v1,bm9wZQ== v1,b3RoZXI=")]
    // The right MAC under another scheme version, or without the scheme, is not a v1 signature.
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void Verify_NoValidV1SignatureAmongSeveral_IsRefused(string signatures)
    {
        Assert.Equal("webhook-signature does not match the body", StandardWebhooks.Verify(Key, SpecId, SpecTimestamp, signatures, SpecBody, SpecTime, Tolerance));
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_c2hvcnQ=")]
    public void SecretBytes_NotAWhsecSecretOfAtLeast24Bytes_IsNull(string secret)
    {
        Assert.Null(StandardWebhooks.SecretBytes(secret));
    }
}
