using System.Runtime.CompilerServices;

using ChatGateway.Plugins.Email.Inbound;

namespace ChatGateway.Plugins.Email.Tests;

internal static class Charsets
{
    /// <summary>
    /// MimeKit remembers which charsets exist when it is first used; the gateway registers the legacy ones (GB2312, Big5…)
    /// before the plugin touches MimeKit, and so must this test process, whichever test runs first.
    /// </summary>
    [ModuleInitializer]
    internal static void Register() => EmailMapper.RegisterCharsets();
}
