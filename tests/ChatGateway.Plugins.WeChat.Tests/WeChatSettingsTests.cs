using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>
/// A bad setting stops the instance at start-up with its key named (the gateway adds the instance and where to set it),
/// instead of failing at the first call. Tried: RequestTimeout=00:11:00, RequestTimeout=-00:00:05, MaxBodyBytes=-1.
/// </summary>
public sealed class WeChatSettingsTests
{
    [Theory]
    [InlineData("RequestTimeout", "00:11:00", "RequestTimeout must be at most 00:10:00, not 00:11:00")]
    [InlineData("RequestTimeout", "-00:00:05", "RequestTimeout must be greater than 0")]
    [InlineData("MaxBodyBytes", "-1", "MaxBodyBytes must be greater than 0")]
    public async Task BadSetting_IsRefusedAtStartUp_NamingItsKey(string key, string value, string expected)
    {
        var settings = WeChatTestInstance.ValidSettings();
        settings[key] = value;
        await using var container = ChannelInstanceContainer.Build(new WeChatChannelPlugin(), "wechat-settings", settings);

        var failures = container.StartupFailures();

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidSettings_PassStartUp()
    {
        await using var container = ChannelInstanceContainer.Build(new WeChatChannelPlugin(), "wechat-settings", WeChatTestInstance.ValidSettings());

        Assert.Empty(container.StartupFailures());
    }
}
