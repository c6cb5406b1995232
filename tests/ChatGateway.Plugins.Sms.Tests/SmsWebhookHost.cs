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
        WebApplication app, ServiceProvider instanceServices, HttpClient client, RecordingInboundSink inbound, RecordingDeliveryStatusSink statuses)
    {
        _app = app;
        _instanceServices = instanceServices;
        Client = client;
        Inbound = inbound;
        Statuses = statuses;
    }

    public RecordingInboundSink Inbound { get; }

    public RecordingDeliveryStatusSink Statuses { get; }

    public RecordingOutreachPreferences Preferences => (RecordingOutreachPreferences)_instanceServices.GetRequiredService<ChatGateway.Abstractions.IOutreachPreferences>();

    public HttpClient Client { get; }

    public static async Task<SmsWebhookHost> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = SmsTestInstance.ValidSettings();
        configure?.Invoke(settings);

        var inbound = new RecordingInboundSink();
        var statuses = new RecordingDeliveryStatusSink();
        var instanceServices = SmsTestInstance.BuildServices(settings, inbound, statuses);

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
        return new SmsWebhookHost(app, instanceServices, client, inbound, statuses);
    }

    public static string PathOf(string endpoint) => $"/channels/{SmsTestInstance.Id}/{endpoint}";

    /// <summary>Posts a form signed as Twilio would sign it for <see cref="SmsTestInstance.PublicBaseUrl"/>.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(
        string endpoint, IEnumerable<KeyValuePair<string, string>> form, string authToken = SmsTestInstance.AuthToken, string query = "")
    {
        var request = TwilioSignature.CreateSignedRequest(authToken, SmsTestInstance.PublicBaseUrl, PathOf(endpoint) + query, form);
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _instanceServices.DisposeAsync();
    }
}
