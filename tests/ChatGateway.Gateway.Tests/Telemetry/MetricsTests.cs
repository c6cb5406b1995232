using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Telemetry;

/// <summary>
/// What an operator's Prometheus reads at <c>/metrics</c> after a scripted conversation: one customer message, its
/// assignment, one reply delivered and one refused for good by the provider. The Chat channel runs under an instance id
/// of this test's own, so the per-channel counts are this test's alone (tests share a process, and a meter listener
/// hears every gateway in it).
/// </summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_CountTheScriptedConversation_InPrometheusFormat()
    {
        var instance = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var plugins = $$"""{ "plugins": [ { "id": "{{instance}}", "plugin": "Chat", "enabled": true, "settings": {} } ] }""";
        await using var host = await GatewayHost.StartAsync(pluginsJson: plugins, settings: new Dictionary<string, string?> { ["Metrics:Prometheus"] = "true", ["Metrics:QueueDepthInterval"] = "00:00:01" });
        using var provider = host.CreateClient();
        await using var agent = await host.SignInAsync("bob");

        var posted = await provider.PostAsJsonAsync($"/channels/{instance}/events", new { events = new[] { new { id = "m-1", from = "U1", text = "Hello, is the blue dress in stock?" } } });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var conversation = await agent.NextAssignedAsync();
        await agent.ReplyAsync(conversation.Id, "Yes, it is.");
        await agent.NextStatusAsync(m => m.Status == "sent");
        Assert.Equal(HttpStatusCode.NoContent, (await provider.PostAsJsonAsync($"/channels/{instance}/refuse", new { reason = "the user blocked the bot" })).StatusCode);
        await agent.ReplyAsync(conversation.Id, "Anything else?");
        await agent.NextStatusAsync(m => m.Status == "failed");

        var text = await ScrapeAsync(host, provider, t => Value(t, "chatgateway_delivery_dead_letters_total", $"channel=\"{instance}\"") >= 1);
        Assert.Equal(1, Value(text, "chatgateway_inbound_messages_total", $"channel=\"{instance}\""));
        Assert.Equal(1, Value(text, "chatgateway_delivery_attempts_total", $"channel=\"{instance}\"", "outcome=\"sent\""));
        Assert.Equal(1, Value(text, "chatgateway_delivery_attempts_total", $"channel=\"{instance}\"", "outcome=\"failed\""));
        Assert.Equal(1, Value(text, "chatgateway_delivery_dead_letters_total", $"channel=\"{instance}\""));
        Assert.True(Value(text, "chatgateway_routing_assignments_total", $"skill=\"{conversation.Skill}\"") >= 1, "no assignment counted");
        Assert.True(Value(text, "chatgateway_ingest_commit_duration_seconds_count") >= 1, "no ingest commit timed");
        Assert.True(Value(text, "chatgateway_ingest_batch_size_count") >= 1, "no ingest batch counted");
        Assert.Contains("chatgateway_routing_queue_depth{", text);
        Assert.Contains("chatgateway_desk_connections", text);
        // ASP.NET Core's and the runtime's own, beside the gateway's.
        Assert.Contains("http_server_request_duration_seconds_bucket", text);
        Assert.Contains("dotnet_gc_collections_total", text);
        // Labels never carry a customer, a message or its text.
        Assert.DoesNotContain("blue dress", text);
        Assert.DoesNotContain("U1", text);
    }

    [Fact]
    public async Task Metrics_AreOffByDefault_404()
    {
        await using var host = await GatewayHost.StartAsync();
        using var client = host.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    private static async Task<string> ScrapeAsync(GatewayHost host, HttpClient client, Func<string, bool> ready)
    {
        // The scrape endpoint keeps an answer for a moment (the exporter's cache): ask until the last count is in.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
            var text = await response.Content.ReadAsStringAsync();
            if (ready(text) || DateTime.UtcNow > until)
            {
                return text;
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The sum of the samples of <paramref name="metric"/> whose labels hold every one of <paramref name="labels"/>.</summary>
    private static double Value(string text, string metric, params string[] labels)
    {
        double sum = 0;
        foreach (Match m in Regex.Matches(text, "^" + Regex.Escape(metric) + @"(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline))
        {
            var found = m.Groups["labels"].Value;
            if (labels.All(l => found.Contains(l, StringComparison.Ordinal)))
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
