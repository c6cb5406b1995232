using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Chats;

/// <summary>
/// A gateway with the Chat test channel (instance <c>line</c>: groups, reply tokens, stickers, profiles, batched
/// webhooks, like LINE) beside the web chat, and the test playing the channel's provider.
/// </summary>
public sealed class ChatChannel : IAsyncDisposable
{
    public const string Instance = "line";

    private ChatChannel(GatewayHost host) => Host = host;

    public GatewayHost Host { get; }

    public HttpClient Provider { get; private set; } = null!;

    public static async Task<ChatChannel> StartAsync(TimeProvider? clock = null, IDictionary<string, string?>? settings = null)
    {
        var plugins = "{ \"plugins\": [\n" +
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } },""" + "\n" +
            $$"""{ "id": "{{Instance}}", "plugin": "Chat", "enabled": true, "settings": {} }""" + "\n] }";
        var host = await GatewayHost.StartAsync(pluginsJson: plugins, settings: settings, clock: clock);
        return new ChatChannel(host) { Provider = host.CreateClient() };
    }

    /// <summary>Posts one webhook request of events; returns the channel's answer (one item per event).</summary>
    public async Task<JsonElement[]> EventsAsync(params object[] events)
    {
        var response = await Provider.PostAsJsonAsync($"/channels/{Instance}/events", new { events });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement[]>())!;
    }

    public async Task<HttpStatusCode> ProfileAsync(object profile) =>
        (await Provider.PostAsJsonAsync($"/channels/{Instance}/profile", profile)).StatusCode;

    public async Task<JsonElement[]> SentAsync() => (await Provider.GetFromJsonAsync<JsonElement[]>($"/channels/{Instance}/sent"))!;

    /// <summary>Waits for the gateway to send a message matching <paramref name="match"/> on the channel.</summary>
    public async Task<JsonElement> SentAsync(Func<JsonElement, bool> match)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var sent = await SentAsync();
            if (sent.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("the gateway sent nothing matching on the channel; sent: " + JsonSerializer.Serialize(sent));
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Provider.Dispose();
        await Host.DisposeAsync();
    }
}
