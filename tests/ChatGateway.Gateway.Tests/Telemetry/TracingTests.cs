using System.Collections;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Telemetry;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ChatGateway.Gateway.Tests.Telemetry;

/// <summary>
/// What an operator's tracing backend receives from two gateway instances sharing Redis and a store, read through
/// OpenTelemetry's in-memory exporter, and what the gateway's meter counts meanwhile (<see cref="HostMetrics"/>): the
/// customer writes to instance A, the agent's desk is on B, the replies are sent from B and delivered by whichever
/// instance claims them. The span exporter listens to the whole test process, where other tests' gateways run too:
/// this test's spans are found by its channel instance id and trace ids.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Traces_FollowTheConversationAcrossTwoInstances_AndMetricsCountIt()
    {
        var instance = "traces-" + Guid.NewGuid().ToString("N")[..8];
        var data = Directory.CreateTempSubdirectory("cg-traces-").FullName;
        var plugins = Path.Combine(data, "plugins.json");
        File.WriteAllText(plugins, $$"""{ "plugins": [ { "id": "{{instance}}", "plugin": "Chat", "enabled": true, "settings": {} } ] }""");

        var spans = new LockedList<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(GatewayMetrics.Name).AddAspNetCoreInstrumentation().AddInMemoryExporter(spans).Build();

        await using var two = await TwoInstances.StartAsync(new Dictionary<string, string?> { ["Plugins:ConfigPath"] = plugins });
        using var metrics = new HostMetrics(two.A, two.B);
        var instanceB = two.B.Services.GetRequiredService<GatewayInstance>().Id;
        await using var agent = await two.B.SignInAsync("bob");
        using var providerA = two.A.CreateClient();

        // The provider's webhook carries its own trace context: the gateway's steps join that trace.
        var inboundTrace = ActivityTraceId.CreateRandom();
        var inboundCaller = ActivitySpanId.CreateRandom();
        using (var webhook = new HttpRequestMessage(HttpMethod.Post, $"/channels/{instance}/events")
        {
            Content = JsonContent.Create(new { events = new[] { new { id = "m-1", from = "+15550001111", text = "Hello, is the blue dress in stock?" } } }),
        })
        {
            webhook.Headers.Add("traceparent", $"00-{inboundTrace}-{inboundCaller}-01");
            Assert.Equal(HttpStatusCode.OK, (await providerA.SendAsync(webhook)).StatusCode);
        }

        var conversation = await agent.NextAssignedAsync();

        // The agent's reply request on B carries a trace of the desk's: its delivery continues it, wherever it runs.
        var replyTrace = ActivityTraceId.CreateRandom();
        var replyCaller = ActivitySpanId.CreateRandom();
        using (var reply = new HttpRequestMessage(HttpMethod.Post, $"/api/conversations/{conversation.Id}/messages") { Content = JsonContent.Create(new { text = "Yes, it is." }) })
        {
            reply.Headers.Add("traceparent", $"00-{replyTrace}-{replyCaller}-01");
            Assert.Equal(HttpStatusCode.Accepted, (await agent.Http.SendAsync(reply)).StatusCode);
        }

        await agent.NextStatusAsync(m => m.Status == "sent");

        // The next send is refused for good by the provider, whichever instance makes it.
        foreach (var host in new[] { two.A, two.B })
        {
            using var provider = host.CreateClient();
            Assert.Equal(HttpStatusCode.NoContent, (await provider.PostAsJsonAsync($"/channels/{instance}/refuse", new { reason = "the user blocked the bot" })).StatusCode);
        }

        await agent.ReplyAsync(conversation.Id, "Anything else?");
        await agent.NextStatusAsync(m => m.Status == "failed");

        // The inbound trace: the webhook's request on A, its ingest, the store's commit, routing, the assignment, and the
        // push to the agent's desk on B, each a child of the step before.
        var ingest = await SpanAsync(spans, s => s.OperationName == "ingest" && Tag(s, "chatgateway.channel") == instance);
        Assert.Equal(inboundTrace, ingest.TraceId);
        Assert.Equal(conversation.Id.ToString(), Tag(ingest, "chatgateway.conversation.id"));
        Assert.Equal("chat", Tag(ingest, "chatgateway.channel.type"));
        var commit = await SpanAsync(spans, s => s.OperationName == "store.commit"
            && (s.ParentSpanId == ingest.SpanId || s.Links.Any(l => l.Context.SpanId == ingest.SpanId)));
        Assert.True(commit.ParentSpanId == ingest.SpanId || commit.Links.Any(l => l.Context.TraceId == inboundTrace), "the commit neither continues nor links the ingest span");
        var route = await SpanAsync(spans, s => s.OperationName == "route" && s.TraceId == inboundTrace);
        Assert.Equal(ingest.SpanId, route.ParentSpanId);
        Assert.Equal(conversation.Skill, Tag(route, "chatgateway.skill"));
        Assert.Equal("assigned", Tag(route, "chatgateway.outcome"));
        var assign = await SpanAsync(spans, s => s.OperationName == "assign" && s.TraceId == inboundTrace);
        Assert.Equal(route.SpanId, assign.ParentSpanId);
        Assert.Equal(agent.Agent.Id.ToString(), Tag(assign, "chatgateway.agent.id"));
        var push = await SpanAsync(spans, s => s.OperationName == "push" && s.TraceId == inboundTrace && Tag(s, "chatgateway.instance") == instanceB);
        Assert.Equal(assign.SpanId, push.ParentSpanId);
        Assert.Equal("assigned", Tag(push, "chatgateway.event"));
        Assert.Equal(ActivityKind.Consumer, push.Kind);

        // The reply's trace: its request on B, then the send on whichever instance claimed it, continuing that request.
        var replyRequest = await SpanAsync(spans, s => s.TraceId == replyTrace && s.ParentSpanId == replyCaller && s.Kind == ActivityKind.Server);
        var sent = await SpanAsync(spans, s => s.OperationName == "deliver" && s.TraceId == replyTrace);
        Assert.Equal(replyRequest.SpanId, sent.ParentSpanId);
        Assert.Equal("sent", Tag(sent, "chatgateway.outcome"));
        Assert.Equal(instance, Tag(sent, "chatgateway.channel"));
        Assert.Equal("1", Tag(sent, "chatgateway.delivery.attempt"));
        var failed = await SpanAsync(spans, s => s.OperationName == "deliver" && Tag(s, "chatgateway.channel") == instance && Tag(s, "chatgateway.outcome") == "failed");
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.NotEqual(replyTrace, failed.TraceId);
        // The desk hears the result as a push continuing the send.
        await SpanAsync(spans, s => s.OperationName == "push" && s.ParentSpanId == sent.SpanId && Tag(s, "chatgateway.event") == "status");

        // Attributes carry ids, never the customer's words or number.
        foreach (var span in spans.Snapshot().Where(s => s.Source.Name == GatewayMetrics.Name))
        {
            foreach (var (_, value) in span.TagObjects)
            {
                Assert.DoesNotContain("blue dress", value?.ToString() ?? "", StringComparison.Ordinal);
                Assert.DoesNotContain("15550001111", value?.ToString() ?? "", StringComparison.Ordinal);
            }
        }

        // The metrics of the same conversation: one in, one assignment, one reply sent, one failed for good.
        Assert.Equal(1, metrics.Sum("chatgateway.inbound.messages", ("channel", instance)));
        Assert.Equal(1, metrics.Sum("chatgateway.delivery.attempts", ("channel", instance), ("outcome", "sent")));
        Assert.Equal(1, metrics.Sum("chatgateway.delivery.attempts", ("channel", instance), ("outcome", "failed")));
        Assert.Equal(0, metrics.Sum("chatgateway.delivery.attempts", ("channel", instance), ("outcome", "retry")));
        Assert.Equal(1, metrics.Sum("chatgateway.delivery.dead_letters", ("channel", instance)));
        Assert.Equal(1, metrics.Sum("chatgateway.routing.assignments", ("skill", conversation.Skill)));
        Assert.Equal(1, metrics.Observe("chatgateway.desk.connections"));
    }

    [Fact]
    public async Task VisitorsGauge_CountsTheOpenWebChatPages()
    {
        var instance = "visitors-" + Guid.NewGuid().ToString("N")[..8];
        var plugins = $$"""{ "plugins": [ { "id": "{{instance}}", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } } ] }""";
        await using var host = await GatewayHost.StartAsync(pluginsJson: plugins);
        using var metrics = new HostMetrics(host);
        Assert.Equal(0, metrics.Observe("chatgateway.visitor.connections", ("channel", instance)));

        await using var first = await Visitor.ArriveAsync(host, instance);
        var second = await Visitor.ArriveAsync(host, instance);
        Assert.Equal(2, await GaugeAsync(metrics, instance, 2));

        await second.DisposeAsync();
        Assert.Equal(1, await GaugeAsync(metrics, instance, 1));
    }

    /// <summary>The visitors gauge of <paramref name="instance"/>, read until it shows <paramref name="expected"/> (a closed socket is noticed a moment later).</summary>
    private static async Task<long> GaugeAsync(HostMetrics metrics, string instance, long expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var value = metrics.Observe("chatgateway.visitor.connections", ("channel", instance));
            if (value == expected || DateTime.UtcNow > until)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }

    private static async Task<Activity> SpanAsync(LockedList<Activity> spans, Func<Activity, bool> match)
    {
        // A span is exported when it ends: a receiver's or a sender's may end a moment after the desk saw its effect.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (spans.Snapshot().FirstOrDefault(match) is { } span)
            {
                return span;
            }

            Assert.True(DateTime.UtcNow < until, "span not exported; have: " + string.Join(", ", spans.Snapshot().Where(s => s.Source.Name == GatewayMetrics.Name).Select(s => s.OperationName)));
            await Task.Delay(100);
        }
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key) switch
    {
        null => null,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        var o => o.ToString(),
    };

    /// <summary>The exporter adds spans from the gateways' threads while the test reads them.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public T[] Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item) => Snapshot().Contains(item);

        public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Snapshot()).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
