using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Tests.Fakes;
using ChatGateway.Testing;
using FixedChannelKeys = ChatGateway.Testing.Conformance.FixedChannelKeys;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>Builds an instance container the way the gateway does: its services first, then the plugin's.</summary>
internal static class SmsTestInstance
{
    public const string Id = "sms-test";
    public const string AccountSid = "ACa1b2c3d4e5f60718293a4b5c6d7e8f90";
    public const string AuthToken = "test-auth-token-5f2c";
    public const string FromNumber = "+14155550100";
    public const string PublicBaseUrl = "https://shop.example/";

    public static Dictionary<string, string?> ValidSettings(FakeTwilioServer? twilio = null) => new()
    {
        ["AccountSid"] = AccountSid,
        ["AuthToken"] = AuthToken,
        ["FromNumber"] = FromNumber,
        ["PublicBaseUrl"] = PublicBaseUrl,
        ["ApiBaseAddress"] = twilio?.BaseAddress.ToString(),
    };

    public static ChannelInstance CreateInstance(IDictionary<string, string?> settings) =>
        new(Id, "Sms", new ConfigurationBuilder().AddInMemoryCollection(settings.Where(pair => pair.Value is not null)).Build());

    public static ServiceProvider BuildServices(
        IDictionary<string, string?> settings,
        IInboundSink? inbound = null,
        IDeliveryStatusSink? statuses = null,
        IOutreachPreferences? preferences = null,
        IAttachmentStore? attachments = null)
    {
        var instance = CreateInstance(settings);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions();
        services.AddHttpClient();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(instance);
        services.AddSingleton(inbound ?? new RecordingInboundSink());
        services.AddSingleton(statuses ?? new RecordingDeliveryStatusSink());
        services.AddSingleton(preferences ?? new RecordingOutreachPreferences());
        services.AddSingleton<IChannelKeys>(new FixedChannelKeys(Id));
        if (attachments is not null)
        {
            services.AddSingleton(attachments);
        }

        new SmsChannelPlugin().ConfigureServices(instance, services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>A Twilio payload from Payloads/, as the ordered name/value pairs Twilio posted.</summary>
    public static List<KeyValuePair<string, string>> LoadPayload(string name)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", name)).Trim();
        return [.. text.Split('&').Select(pair =>
        {
            var parts = pair.Split('=', 2);
            return new KeyValuePair<string, string>(Decode(parts[0]), parts.Length > 1 ? Decode(parts[1]) : "");
        })];

        static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
    }

    public static Dictionary<string, StringValues> ToForm(IEnumerable<KeyValuePair<string, string>> pairs) =>
        pairs.ToDictionary(pair => pair.Key, pair => new StringValues(pair.Value), StringComparer.Ordinal);
}
