using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// A bad setting stops the instance at start-up with its key named (the gateway adds the instance and where to set it),
/// instead of failing at the first call. Tried: RequestTimeout=1.00:00:00, RequestTimeout=00:00:00, MaxRegistrationBackoff=30.00:00:00, PollTimeout=00:01:00.
/// </summary>
public sealed class TelegramSettingsTests
{
    [Theory]
    [InlineData("RequestTimeout", "1.00:00:00", "RequestTimeout must be at most 00:10:00, not 1.00:00:00")]
    [InlineData("RequestTimeout", "00:00:00", "RequestTimeout must be greater than 0")]
    [InlineData("MaxRegistrationBackoff", "30.00:00:00", "MaxRegistrationBackoff must be at most 1.00:00:00, not 30.00:00:00")]
    [InlineData("PollTimeout", "00:01:00", "PollTimeout must be between 00:00:01 and 00:00:50")]
    public async Task BadSetting_IsRefusedAtStartUp_NamingItsKey(string key, string value, string expected)
    {
        var settings = TelegramTestInstance.ValidSettings();
        settings[key] = value;
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-settings", settings);

        var failures = container.StartupFailures();

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidSettings_PassStartUp()
    {
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-settings", TelegramTestInstance.ValidSettings());

        Assert.Empty(container.StartupFailures());
    }
}
