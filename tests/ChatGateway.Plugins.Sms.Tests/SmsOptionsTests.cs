using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>Settings as the gateway checks them: through the instance container's start-up validator.</summary>
public sealed class SmsOptionsTests
{
    [Fact]
    public async Task StartupValidation_NoSettings_ReportsEveryMissingKeyAtOnce()
    {
        var failures = await StartupFailuresAsync(new Dictionary<string, string?>());

        Assert.Equal(4, failures.Count);
        Assert.Contains("AccountSid is required", failures);
        Assert.Contains(failures, failure => failure.StartsWith("AuthToken is required", StringComparison.Ordinal)
            && failure.Contains($"Channels__{SmsTestInstance.Id}__AuthToken", StringComparison.Ordinal));
        Assert.Contains("FromNumber is required", failures);
        Assert.Contains(failures, failure => failure.StartsWith("PublicBaseUrl is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartupValidation_BadValues_NamesEachKey()
    {
        var settings = SmsTestInstance.ValidSettings();
        settings["FromNumber"] = "0415555";
        settings["PublicBaseUrl"] = "shop.example/sms";
        settings["ApiBaseAddress"] = "ftp://api.twilio.com";
        settings["MaxBodyBytes"] = "0";
        settings["RequestTimeout"] = "-00:00:01";
        settings["MediaUrlLifetime"] = "00:00:10";

        var failures = await StartupFailuresAsync(settings);

        Assert.Equal(
            [
                "FromNumber must be an E.164 phone number such as +14155550100",
                "PublicBaseUrl must be an absolute http(s) URL",
                "ApiBaseAddress must be an absolute http(s) URL",
                "MaxBodyBytes must be greater than 0",
                "RequestTimeout must be greater than 0",
                "MediaUrlLifetime must be between 00:01:00 and 7.00:00:00 (Twilio fetches a message's media when it sends it)",
            ],
            failures);
    }

    [Fact]
    public async Task StartupValidation_RequestTimeoutOfADay_IsRefused()
    {
        var settings = SmsTestInstance.ValidSettings();
        settings["RequestTimeout"] = "1.00:00:00";

        Assert.Equal(["RequestTimeout must be at most 00:10:00, not 1.00:00:00"], await StartupFailuresAsync(settings));
    }

    [Fact]
    public async Task StartupValidation_PublicBaseUrlWithQuery_IsRefused()
    {
        var settings = SmsTestInstance.ValidSettings();
        settings["PublicBaseUrl"] = "https://shop.example/?sms=1";

        Assert.Equal(["PublicBaseUrl must not have a query or fragment"], await StartupFailuresAsync(settings));
    }

    [Fact]
    public async Task StartupValidation_RequiredSettingsOnly_PassesWithDefaults()
    {
        await using var services = SmsTestInstance.BuildServices(SmsTestInstance.ValidSettings());

        services.GetRequiredService<IStartupValidator>().Validate();
        var options = services.GetRequiredService<IOptions<SmsOptions>>().Value;

        Assert.Equal("https://api.twilio.com", options.ApiBaseAddress);
        Assert.True(options.StatusCallback);
        Assert.Equal(64 * 1024, options.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromHours(1), options.MediaUrlLifetime);
    }

    [Fact]
    public void ToString_Always_HidesTheAuthToken()
    {
        var options = new SmsOptions { AccountSid = "AC1", AuthToken = "super-secret-token" };

        Assert.DoesNotContain("super-secret-token", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("AC1", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_ValidSettings_IsReady()
    {
        await using var services = SmsTestInstance.BuildServices(SmsTestInstance.ValidSettings());

        Assert.Null(await services.GetRequiredService<IChannelReadiness>().CheckAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Readiness_MissingAccountSid_SaysWhichKey()
    {
        var settings = SmsTestInstance.ValidSettings();
        settings.Remove("AccountSid");
        await using var services = SmsTestInstance.BuildServices(settings);

        var reason = await services.GetRequiredService<IChannelReadiness>().CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal("AccountSid is required", reason);
    }

    private static async Task<IReadOnlyList<string>> StartupFailuresAsync(Dictionary<string, string?> settings)
    {
        await using var services = SmsTestInstance.BuildServices(settings);
        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        return [.. exception.Failures];
    }
}
