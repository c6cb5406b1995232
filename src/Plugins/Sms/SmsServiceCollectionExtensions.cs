using System.Net.Http.Headers;
using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;
using ChatGateway.Plugins.Sms.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Sms;

internal static class SmsServiceCollectionExtensions
{
    /// <summary>Registers one SMS instance into its private container.</summary>
    public static IServiceCollection AddTwilioSms(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<SmsOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SmsOptions>>(new SmsOptionsValidator(instance)));

        services.AddRefitGeneratedClient<ITwilioApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<SmsOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress);
                client.Timeout = options.RequestTimeout;
                var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AccountSid}:{options.AuthToken}"));
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            });

        // MMS media: redirects are followed by hand, so the credentials never follow one to another host.
        services.AddHttpClient(TwilioMediaClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan); // each file has its own limit (RequestTimeout)
        services.TryAddTransient<TwilioMediaClient>();
        services.TryAddTransient<InboundMediaSaver>();
        services.TryAddSingleton<MediaLinks>();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<TwilioClient>();
        services.TryAddTransient<IChannelSender, TwilioSmsSender>();
        services.TryAddSingleton<IChannelReadiness, SmsReadiness>();
        return services;
    }

    private static RefitSettings CreateRefitSettings() => new()
    {
        // Exceptions keep the request; drop the credentials before anything can log them.
        ExceptionRedactor = exception =>
        {
            if (exception.RequestMessage is { } request)
            {
                request.Headers.Authorization = null;
            }
        },
    };
}
