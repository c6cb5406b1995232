using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;
using ChatGateway.Plugins.WeChat.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WeChat;

internal static class WeChatServiceCollectionExtensions
{
    /// <summary>Registers one WeChat instance into its private container.</summary>
    public static IServiceCollection AddWeChat(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<WeChatOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WeChatOptions>>(new WeChatOptionsValidator(instance)));

        services.AddHttpClient<WeChatApiClient>(WeChatApiClient.HttpClientName, (provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<WeChatOptions>>().CurrentValue;
                var baseAddress = options.ApiBaseAddress.EndsWith('/') ? options.ApiBaseAddress : options.ApiBaseAddress + "/";
                client.BaseAddress = new Uri(baseAddress);
                client.Timeout = options.RequestTimeout;
            })
            // IHttpClientFactory logs each request's URL at Information; WeChat's URLs carry the access_token and AppSecret.
            .RemoveAllLoggers();

        services.TryAddSingleton<WeChatAccessTokens>();
        services.TryAddSingleton<WeChatTokenService>();
        services.AddHostedService(provider => provider.GetRequiredService<WeChatTokenService>());
        services.AddSingleton<IChannelReadiness>(provider => provider.GetRequiredService<WeChatTokenService>());
        services.TryAddSingleton<IChannelOutreach, WeChatOutreach>();
        services.TryAddTransient<IChannelSender, WeChatSender>();
        return services;
    }
}
