using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WebChat.Tests.Files;
using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>
/// The plugin's endpoints on a real Kestrel loopback port, mapped under <c>/channels/{id}</c> with
/// WebSockets on and <c>RequestServices</c> resolving from the instance container first, as the gateway does.
/// </summary>
internal sealed class WebChatHost : IAsyncDisposable
{
    public const string Id = "webchat-test";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly WebApplication _app;
    private readonly List<IHostedService> _hosted;
    private readonly List<ClientWebSocket> _sockets = [];

    private WebChatHost(WebApplication app, ChannelInstanceContainer container, List<IHostedService> hosted, Uri baseAddress, FakeAttachmentStore? files)
    {
        _app = app;
        Files = files;
        _hosted = hosted;
        Container = container;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public ChannelInstanceContainer Container { get; }

    /// <summary>The test double of the gateway's file store, when the host was started with one.</summary>
    public FakeAttachmentStore? Files { get; }

    public RecordingInboundSink Inbound => Container.Inbound;

    public InMemoryConversationHistory History => Container.History;

    public IChannelSender Sender => Container.Services.GetRequiredService<IChannelSender>();

    public HttpClient Client { get; }

    public Uri BaseAddress { get; }

    /// <param name="fileLimit">Serves an <see cref="IAttachmentStore"/> (a test double) taking files up to this many bytes; null: none, as the conformance container has none.</param>
    public static async Task<WebChatHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, TimeProvider? clock = null, long? fileLimit = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string?>();
        configure?.Invoke(settings);

        var plugin = new WebChatChannelPlugin();
        var container = ChannelInstanceContainer.Build(plugin, Id, settings, timeProvider: clock);
        Assert.Empty(container.StartupFailures());
        var files = fileLimit is { } limit ? new FakeAttachmentStore(container.History, limit) : null;
        var hosted = container.Services.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(cancellationToken);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            var original = context.RequestServices;
            await using var scope = container.Services.CreateAsyncScope();
            context.RequestServices = new InstanceFirstServices(scope.ServiceProvider, files, original);
            try
            {
                await next(context);
            }
            finally
            {
                context.RequestServices = original;
            }
        });
        plugin.MapEndpoints(app.MapGroup($"/channels/{Id}"), container.Instance);

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new WebChatHost(app, container, hosted, new Uri(address), files);
    }

    public static string PathOf(string endpoint) => $"/channels/{Id}/{endpoint}";

    /// <summary>The visitor id an anonymous token names (<c>a.{id}.{mac}</c> is visitor <c>v_{id}</c>), read without checking it.</summary>
    public static string ExternalIdOf(string token) => "v_" + token.Split('.')[1];

    /// <summary>Whether this instance issued the token (the plugin's own check).</summary>
    public bool IsValidToken(string token) => Container.Services.GetRequiredService<VisitorTokens>().TryRead(token, out _);

    public async Task<string> NewVisitorAsync()
    {
        using var response = await Client.PostAsync(PathOf("visitors"), content: null, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = await ReadJsonAsync(response);
        return body.RootElement.GetProperty("visitorToken").GetString()!;
    }

    public Task<HttpResponseMessage> PostMessageAsync(string? token, object body) =>
        PostMessageAsync(token, JsonContent.Create(body));

    public Task<HttpResponseMessage> PostMessageAsync(string? token, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, PathOf("messages")) { Content = content };
        if (token is not null)
        {
            request.Headers.Add(VisitorTokens.Header, token);
        }

        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> GetAsVisitorAsync(string token, string endpoint)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, PathOf(endpoint));
        request.Headers.Add(VisitorTokens.Header, token);
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response) =>
        await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Opens the visitor's live connection, as the widget does.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string? token)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        _sockets.Add(socket);
        var query = token is null ? "" : "?token=" + Uri.EscapeDataString(token);
        var uri = new UriBuilder(BaseAddress) { Scheme = "ws", Path = PathOf("ws"), Query = query }.Uri;
        using var timeout = Timeout();
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    /// <summary>
    /// Waits until the plugin holds this many live connections: the client's handshake completes a moment
    /// before the server registers the socket.
    /// </summary>
    public async Task WaitForConnectionsAsync(int count)
    {
        var connections = Container.Services.GetRequiredService<VisitorConnections>();
        using var timeout = Timeout();
        while (connections.Count != count)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Receives the next whole frame, appending its text; the result tells a close from a message.</summary>
    public static async Task<WebSocketReceiveResult> ReceiveAsync(ClientWebSocket socket, StringBuilder text)
    {
        using var timeout = Timeout();
        var buffer = new byte[4096];
        using var frame = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            frame.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        text.Append(Encoding.UTF8.GetString(frame.ToArray()));
        return result;
    }

    public static async Task<JsonDocument> ReceiveJsonAsync(ClientWebSocket socket)
    {
        var text = new StringBuilder();
        var result = await ReceiveAsync(socket, text);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonDocument.Parse(text.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        Client.Dispose();
        for (var i = _hosted.Count - 1; i >= 0; i--)
        {
            await _hosted[i].StopAsync(CancellationToken.None);
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        await Container.DisposeAsync();
    }

    private static CancellationTokenSource Timeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(Patience);
        return source;
    }

    /// <summary>
    /// The instance's services in front of the host's, like the gateway's channel request services; the file store double
    /// stands in for the one the gateway adds to every instance's container (the shared container has none yet).
    /// </summary>
    /// <summary>
    /// The instance's services first, but the file store is this host's own (its test double with the test's limit, or none
    /// at all: an instance without a store takes no files), whatever the conformance container registers.
    /// </summary>
    private sealed class InstanceFirstServices(IServiceProvider instance, IAttachmentStore? files, IServiceProvider host) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(IAttachmentStore) ? files : instance.GetService(serviceType) ?? host.GetService(serviceType);
    }
}
