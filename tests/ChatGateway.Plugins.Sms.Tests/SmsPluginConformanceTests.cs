using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>The SMS plugin against what the gateway expects of every channel plugin.</summary>
public sealed class SmsPluginConformanceTests() : ChannelPluginConformanceTests(
    new SmsChannelPlugin(),
    SmsTestInstance.ValidSettings(),
    ["AccountSid", "AuthToken", "FromNumber", "PublicBaseUrl"]);
