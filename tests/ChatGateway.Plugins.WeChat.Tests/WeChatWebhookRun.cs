using System.Net.Http.Headers;

using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>One instance's webhook on a real local server (the instance's own container), optionally with a fake WeChat API.</summary>
internal sealed class WeChatWebhookRun : IAsyncDisposable
{
    private WeChatWebhookRun(ChannelInstanceContainer container, ChannelEndpointHost host, FakeWeChatServer? api)
    {
        Container = container;
        Host = host;
        Api = api;
    }

    public ChannelInstanceContainer Container { get; }

    public ChannelEndpointHost Host { get; }

    public FakeWeChatServer? Api { get; }

    public RecordingInboundSink Inbound => Container.Inbound;

    public static async Task<WeChatWebhookRun> StartAsync(bool withApi = false, ILoggerFactory? loggerFactory = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var api = withApi ? await FakeWeChatServer.StartAsync(WeChatTestInstance.AppId, WeChatTestInstance.AppSecret, cancellationToken) : null;
        var settings = WeChatTestInstance.ValidSettings(api?.BaseAddress);
        var container = ChannelInstanceContainer.Build(new WeChatChannelPlugin(), "wechat", settings, loggerFactory);
        var host = await ChannelEndpointHost.StartAsync(new WeChatChannelPlugin(), container, cancellationToken);
        return new WeChatWebhookRun(container, host, api);
    }

    public Uri Url(string query) => new(Host.UrlFor(Container.Instance, "webhook") + "?" + query);

    public async Task<HttpResponseMessage> PostAsync(byte[] body, string query, bool chunked = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(query)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
            request.Content.Headers.ContentLength = null;
        }

        return await Host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Container.DisposeAsync();
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
    }
}
