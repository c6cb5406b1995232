using ChatGateway.Plugins.Sms.Webhooks;
using ChatGateway.Testing;

using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms.Tests;

public sealed class TwilioSignatureTests
{
    // The worked example of Twilio's "Webhooks security" documentation.
    private const string DocumentedToken = "12345";
    private const string DocumentedUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string DocumentedSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    private static readonly KeyValuePair<string, string>[] DocumentedParameters =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+12349013030"),
        new("Digits", "1234"),
        new("From", "+12349013030"),
        new("To", "+18005551212"),
    ];

    [Fact]
    public void ComputeSignature_TwilioDocumentationExample_MatchesPublishedSignature()
    {
        var signature = TwilioRequestValidator.ComputeSignature(DocumentedToken, DocumentedUrl, Form(DocumentedParameters));

        Assert.Equal(DocumentedSignature, signature);
    }

    [Fact]
    public void ComputeSignature_ParametersInAnyOrder_GiveTheSameSignature()
    {
        var signature = TwilioRequestValidator.ComputeSignature(DocumentedToken, DocumentedUrl, Form(DocumentedParameters.Reverse()));

        Assert.Equal(DocumentedSignature, signature);
    }

    [Fact]
    public void TestingHelper_TwilioDocumentationExample_MatchesPublishedSignature()
    {
        Assert.Equal(DocumentedSignature, TwilioSignature.Compute(DocumentedToken, DocumentedUrl, DocumentedParameters));
    }

    [Fact]
    public void IsValid_DocumentedSignature_Accepts()
    {
        Assert.True(TwilioRequestValidator.IsValid(DocumentedToken, DocumentedUrl, Form(DocumentedParameters), DocumentedSignature));
    }

    [Theory]
    [InlineData("12345", DocumentedUrl, "Digits", "9999", DocumentedSignature)]
    [InlineData("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", null, null, DocumentedSignature)]
    [InlineData("54321", DocumentedUrl, null, null, DocumentedSignature)]
    [InlineData("12345", DocumentedUrl, null, null, "0/KCTR6DLpKmkAf8muzZqo1nDgQ")]
    [InlineData("12345", DocumentedUrl, null, null, "")]
    public void IsValid_AnythingChanged_Rejects(string token, string url, string? changedName, string? changedValue, string signature)
    {
        var parameters = DocumentedParameters
            .Select(pair => pair.Key == changedName ? new KeyValuePair<string, string>(pair.Key, changedValue!) : pair);

        Assert.False(TwilioRequestValidator.IsValid(token, url, Form(parameters), signature));
    }

    [Fact]
    public void ComputeSignature_MixedCaseAndNonAsciiParameters_AgreesWithTheIndependentHelper()
    {
        // Ordinal order puts "Body" before "a" and "Ä"; both sides must sort and encode alike.
        KeyValuePair<string, string>[] parameters =
        [
            new("a", "lower"),
            new("Body", "Grüße, 你好 & +1 = 2"),
            new("Ä", "umlaut"),
            new("MessageSid", "SM00000000000000000000000000000001"),
        ];
        const string url = "https://shop.example/channels/sms-main/messages?x=1";

        Assert.Equal(
            TwilioSignature.Compute("secret", url, parameters),
            TwilioRequestValidator.ComputeSignature("secret", url, Form(parameters)));
    }

    private static Dictionary<string, StringValues> Form(IEnumerable<KeyValuePair<string, string>> pairs) =>
        SmsTestInstance.ToForm(pairs);
}
