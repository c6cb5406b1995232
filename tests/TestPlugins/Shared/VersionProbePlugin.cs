using System.Collections.Concurrent;
using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

#if PROBE_A
namespace ChatGateway.TestPlugins.VersionProbeA;
#else
namespace ChatGateway.TestPlugins.VersionProbeB;
#endif

/// <summary>
/// A loopback channel for tests: POST inbound takes a message in, sends are kept in an outbox that
/// GET outbox returns (serialized with the plugin's own Newtonsoft.Json), GET version tells which
/// Newtonsoft.Json this plugin's load context resolved.
/// </summary>
public sealed class VersionProbePlugin : IChannelPlugin
{
#if PROBE_A
    public string Name => "VersionProbeA";
#else
    public string Name => "VersionProbeB";
#endif

    public string ChannelType => "probe";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.PhoneIdentity;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        services.AddOptions<ProbeOptions>().Bind(instance.Settings).ValidateOnStart()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Greeting), "Greeting is required.");
        services.AddSingleton<ProbeOutbox>();
        services.AddSingleton<IChannelSender>(sp => sp.GetRequiredService<ProbeOutbox>());
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        endpoints.MapGet("version", (HttpContext http) => Results.Json(new
        {
            newtonsoft = typeof(Newtonsoft.Json.JsonConvert).Assembly.GetName().Version!.ToString(),
            sharedAbstractions = ReferenceEquals(typeof(IChannelPlugin).Assembly, typeof(ChannelInstance).Assembly),
            greeting = http.RequestServices.GetRequiredService<IOptions<ProbeOptions>>().Value.Greeting,
            instance = http.RequestServices.GetRequiredService<ChannelInstance>().Id,
        }));
        endpoints.MapPost("inbound", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            var sink = http.RequestServices.GetRequiredService<IInboundSink>();
            var result = await sink.AcceptAsync(new InboundMessage
            {
                ProviderMessageId = form["id"]!,
                Sender = new ChannelSender { ExternalId = form["from"]!, Phone = form["phone"], DisplayName = form["name"] },
                Text = form["text"]!,
            }, http.RequestAborted);
            await http.Response.WriteAsJsonAsync(result);
        });
        endpoints.MapGet("outbox", (HttpContext http) =>
            Results.Text(Newtonsoft.Json.JsonConvert.SerializeObject(http.RequestServices.GetRequiredService<ProbeOutbox>().Sent), "application/json"));
    }
}

public sealed class ProbeOptions
{
    public string Greeting { get; set; } = "";

    /// <summary>Sends fail transiently this many times before succeeding (to test retries).</summary>
    public int FailFirst { get; set; }

    /// <summary>Every send fails permanently (to test the dead-letter list).</summary>
    public bool AlwaysFail { get; set; }
}

internal sealed class ProbeOutbox(IOptions<ProbeOptions> options) : IChannelSender
{
    private int _attempts;

    public ConcurrentQueue<OutboundMessage> Sent { get; } = new();

    public Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (options.Value.AlwaysFail)
        {
            return Task.FromResult(DeliveryResult.Permanent("probe refuses every message"));
        }

        if (attempt <= options.Value.FailFirst)
        {
            return Task.FromResult(DeliveryResult.Transient($"probe failure {attempt}"));
        }

        Sent.Enqueue(message);
        return Task.FromResult(DeliveryResult.Sent("probe-" + message.MessageId.ToString("N")));
    }
}
