using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>
/// A bad setting stops the instance at start-up with its key named (the gateway adds the instance and where to set it),
/// instead of failing at the first call. Tried: RequestTimeout=02:00:00, RequestTimeout=00:00:00, ApiVersion=21.
/// </summary>
public sealed class WhatsAppSettingsTests
{
    [Theory]
    [InlineData("RequestTimeout", "02:00:00", "RequestTimeout must be at most 00:10:00, not 02:00:00")]
    [InlineData("RequestTimeout", "00:00:00", "RequestTimeout must be greater than 0")]
    [InlineData("ApiVersion", "21", "ApiVersion must be a Graph API version such as v21.0")]
    public async Task BadSetting_IsRefusedAtStartUp_NamingItsKey(string key, string value, string expected)
    {
        var settings = WhatsAppTestInstance.ValidSettings();
        settings[key] = value;
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp-settings", settings);

        var failures = container.StartupFailures();

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidSettings_PassStartUp()
    {
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp-settings", WhatsAppTestInstance.ValidSettings());

        Assert.Empty(container.StartupFailures());
    }
}
