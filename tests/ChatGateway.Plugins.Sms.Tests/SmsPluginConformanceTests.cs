using System.Text;

using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.WebUtilities;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>The SMS plugin against what the gateway expects of every channel plugin, its webhook and sender included.</summary>
public sealed class SmsPluginConformanceTests() : ChannelPluginConformanceTests(
    new SmsChannelPlugin(),
    SmsTestInstance.ValidSettings(),
    ["AccountSid", "AuthToken", "FromNumber", "PublicBaseUrl"])
{
    private const int MaxBodyBytes = 8 * 1024;

    /// <summary>
    /// Twilio's inbound message as Twilio posts it, signed as Twilio signs it: over the URL configured in Twilio (the
    /// instance's PublicBaseUrl and the path the kit calls) and the form's parameters.
    /// </summary>
    protected override WebhookSamples Webhook { get; } = new()
    {
        Path = "messages",
        ContentType = "application/x-www-form-urlencoded",
        SingleMessage = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", "inbound-sms.form")).AsSpan().Trim("\r\n "u8).ToArray(),
        Sign = (url, body) => new Dictionary<string, string>
        {
            [TwilioSignature.HeaderName] = TwilioSignature.Compute(SmsTestInstance.AuthToken, SmsTestInstance.PublicBaseUrl.TrimEnd('/') + url.PathAndQuery, Parameters(body)),
        },
        MaxBodyBytes = MaxBodyBytes,
        Settings = new Dictionary<string, string?> { ["MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync()
    {
        var twilio = await FakeTwilioServer.StartAsync(SmsTestInstance.AccountSid, SmsTestInstance.AuthToken, cancellationToken: TestContext.Current.CancellationToken);
        // An MMS picture is fetched by Twilio from the shop's public address: the kit says where it serves the plugin.
        twilio.KitPublicBaseUrl = SmsTestInstance.PublicBaseUrl;
        return twilio;
    }

    private static IEnumerable<KeyValuePair<string, string>> Parameters(byte[] body)
    {
        using var reader = new FormReader(Encoding.UTF8.GetString(body));
        return [.. reader.ReadForm().SelectMany(field => field.Value.Select(value => new KeyValuePair<string, string>(field.Key, value ?? "")))];
    }
}
