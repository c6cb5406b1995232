using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>The web chat plugin against what the gateway expects of every channel plugin. Every setting has a default.</summary>
public sealed class WebChatPluginConformanceTests() : ChannelPluginConformanceTests(
    new WebChatChannelPlugin(),
    new Dictionary<string, string?> { ["Title"] = "Questions? Ask us", ["MaxMessageLength"] = "500" },
    []);
