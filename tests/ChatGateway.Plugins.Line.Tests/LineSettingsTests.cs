using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>
/// A bad setting stops the instance at start-up with its key named (the gateway adds the instance and where to set it),
/// instead of failing at the first call. Tried: RequestTimeout=00:30:00, RequestTimeout=-00:00:01, ProfileCacheDuration=400.00:00:00, ReplyTokenLifetime=00:20:00, MaxBodyBytes=0.
/// </summary>
public sealed class LineSettingsTests
{
    [Theory]
    [InlineData("RequestTimeout", "00:30:00", "RequestTimeout must be at most 00:10:00, not 00:30:00")]
    [InlineData("RequestTimeout", "-00:00:01", "RequestTimeout must be greater than 0")]
    [InlineData("ProfileCacheDuration", "400.00:00:00", "ProfileCacheDuration must be at most 30.00:00:00, not 400.00:00:00")]
    [InlineData("ReplyTokenLifetime", "00:20:00", "ReplyTokenLifetime must be between 0 and 10 minutes")]
    [InlineData("MaxBodyBytes", "0", "MaxBodyBytes must be greater than 0")]
    public async Task BadSetting_IsRefusedAtStartUp_NamingItsKey(string key, string value, string expected)
    {
        var settings = LineTestInstance.ValidSettings();
        settings[key] = value;
        await using var container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line-settings", settings);

        var failures = container.StartupFailures();

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidSettings_PassStartUp()
    {
        await using var container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line-settings", LineTestInstance.ValidSettings());

        Assert.Empty(container.StartupFailures());
    }
}
