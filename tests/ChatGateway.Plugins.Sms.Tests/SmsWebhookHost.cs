using ChatGateway.Plugins.Sms.Tests.Fakes;
using ChatGateway.Testing;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>
/// The plugin's endpoints on a real Kestrel server, mapped under <c>/channels/{id}</c> with
/// <c>RequestServices</c> set to a scope of the instance container, as the gateway does.
/// </summary>
internal sealed class SmsWebhookHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServiceProvider _instanceServices;

    private SmsWebhookHost(
        WebApplication app,
        ServiceProvider instanceServices,
        HttpClient client,
        RecordingInboundSink inbound,
        RecordingDeliveryStatusSink statuses,
        TempFolderAttachmentStore attachments,
        string publicBaseUrl)
    {
        _app = app;
        _instanceServices = instanceServices;
        Client = client;
        Inbound = inbound;
        Statuses = statuses;
        Attachments = attachments;
        PublicBaseUrl = publicBaseUrl;
    }

    /// <summary>The instance's attachment store (a test double).</summary>
    public TempFolderAttachmentStore Attachments { get; }

    /// <summary>The instance's PublicBaseUrl: what webhooks are signed over and media links start with.</summary>
    public string PublicBaseUrl { get; }

    /// <summary>The instance container, e.g. to take its <c>IChannelSender</c>.</summary>
    public IServiceProvider Services => _instanceServices;

    public RecordingInboundSink Inbound { get; }

    public RecordingDeliveryStatusSink Statuses { get; }

    public RecordingOutreachPreferences Preferences => (RecordingOutreachPreferences)_instanceServices.GetRequiredService<ChatGateway.Abstractions.IOutreachPreferences>();

    public HttpClient Client { get; }

    /// <param name="configure">Changes to the instance's settings.</param>
    /// <param name="twilio">A fake Twilio to use as the API (and media) host.</param>
    /// <param name="attachments">The attachment store; a default <see cref="TempFolderAttachmentStore"/> when null.</param>
    /// <param name="publicBaseUrlIsThisHost">
    /// Set PublicBaseUrl to where this host really listens, so that a fake Twilio can fetch the media links it is given.
    /// </param>
    public static async Task<SmsWebhookHost> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        FakeTwilioServer? twilio = null,
        TempFolderAttachmentStore? attachments = null,
        bool publicBaseUrlIsThisHost = false)
    {
        var settings = SmsTestInstance.ValidSettings(twilio);
        configure?.Invoke(settings);

        var inbound = new RecordingInboundSink();
        var statuses = new RecordingDeliveryStatusSink();
        attachments ??= new TempFolderAttachmentStore();
        var instanceServices = SmsTestInstance.BuildServices(settings, inbound, statuses, attachments: attachments);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        app.Use(async (context, next) =>
        {
            await using var scope = instanceServices.CreateAsyncScope();
            context.RequestServices = scope.ServiceProvider;
            await next(context);
        });
        new SmsChannelPlugin().MapEndpoints(app.MapGroup($"/channels/{SmsTestInstance.Id}"), SmsTestInstance.CreateInstance(settings));

        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        var publicBaseUrl = settings["PublicBaseUrl"]!;
        if (publicBaseUrlIsThisHost)
        {
            // The port is known only now; nothing has read the options yet.
            publicBaseUrl = address.TrimEnd('/') + "/";
            instanceServices.GetRequiredService<ChatGateway.Abstractions.ChannelInstance>().Settings["PublicBaseUrl"] = publicBaseUrl;
        }

        return new SmsWebhookHost(app, instanceServices, client, inbound, statuses, attachments, publicBaseUrl);
    }

    public static string PathOf(string endpoint) => $"/channels/{SmsTestInstance.Id}/{endpoint}";

    /// <summary>Posts a form signed as Twilio would sign it for <see cref="SmsTestInstance.PublicBaseUrl"/>.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(
        string endpoint, IEnumerable<KeyValuePair<string, string>> form, string authToken = SmsTestInstance.AuthToken, string query = "")
    {
        var request = TwilioSignature.CreateSignedRequest(authToken, PublicBaseUrl, PathOf(endpoint) + query, form);
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _instanceServices.DisposeAsync();
        Attachments.Dispose();
    }
}
