using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>The email plugin against what the gateway expects of every channel plugin.</summary>
public sealed class EmailPluginConformanceTests() : ChannelPluginConformanceTests(
    new EmailChannelPlugin(),
    EmailTestInstance.OfflineSettings(),
    ["Imap:Host", "Imap:UserName", "Imap:Password", "Smtp:Host", "Address"]);
