using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>A shop visitor using the web chat the way the widget does: a token, REST to send, a WebSocket to listen.</summary>
public sealed class Visitor : IAsyncDisposable
{
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private ClientWebSocket? _socket;
    private Task? _receiving;

    private Visitor(GatewayHost host, string instanceId, string token)
    {
        Http = host.CreateClient();
        Http.DefaultRequestHeaders.Add("X-Visitor-Token", token);
        Host = host;
        InstanceId = instanceId;
        Token = token;
    }

    public HttpClient Http { get; }

    public GatewayHost Host { get; }

    public string InstanceId { get; }

    public string Token { get; }

    public static async Task<Visitor> ArriveAsync(GatewayHost host, string instanceId = "webchat", bool connect = true)
    {
        using var anonymous = host.CreateClient();
        var response = await anonymous.PostAsync($"/channels/{instanceId}/visitors", null);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("visitorToken").GetString()!;
        var visitor = new Visitor(host, instanceId, token);
        if (connect)
        {
            await visitor.ConnectAsync();
        }

        return visitor;
    }

    public async Task ConnectAsync()
    {
        _socket = new ClientWebSocket();
        var uri = new UriBuilder(Host.BaseAddress) { Scheme = "ws", Path = $"/channels/{InstanceId}/ws", Query = "token=" + Token }.Uri;
        await _socket.ConnectAsync(uri, CancellationToken.None);
        _receiving = ReceiveAsync(_socket);
    }

    /// <summary>Sends a frame on the visitor's socket, as the widget does (e.g. <c>{"type":"typing","typing":true}</c>).</summary>
    public Task SendFrameAsync(string json) =>
        _socket!.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task<HttpResponseMessage> SendAsync(string text, string? clientMessageId = null, string? phone = null, string? name = null) =>
        Http.PostAsJsonAsync($"/channels/{InstanceId}/messages", new { clientMessageId = clientMessageId ?? Guid.NewGuid().ToString(), text, phone, name });

    public async Task<JsonElement> SendOkAsync(string text, string? clientMessageId = null, string? phone = null)
    {
        var response = await SendAsync(text, clientMessageId, phone);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> NextFrameAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if (match(frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no matching frame on the visitor's connection");
        }
    }

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var text = new StringBuilder();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, _stop.Token);
                    text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _frames.Writer.TryWrite(JsonDocument.Parse(text.ToString()).RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_receiving is not null)
        {
            await _receiving;
        }

        _socket?.Dispose();
        Http.Dispose();
    }
}
