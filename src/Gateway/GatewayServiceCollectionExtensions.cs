using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.CannedReplies;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Health;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Reports;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using ChatGateway.Gateway.FollowUps;

namespace ChatGateway.Gateway;

internal static class GatewayServiceCollectionExtensions
{
    /// <summary>Points a context at the configured store (SQLite or PostgreSQL).</summary>
    public static DbContextOptionsBuilder UseStore(DbContextOptionsBuilder options, StoreOptions store) => store.IsSqlite
        ? options.UseSqlite(store.ConnectionString).AddInterceptors(new SqlitePragmaInterceptor(store.Durable))
        : options.UseNpgsql(StoreDialect.PostgreSqlConnectionString(store));

    /// <summary>Registers the whole gateway: store, Redis routing, ingest, delivery, agents and channel plugins.</summary>
    public static IServiceCollection AddChatGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<StoreOptions>().Bind(configuration.GetSection("Store")).Configure(o =>
        {
            var cs = configuration.GetConnectionString("Gateway");
            if (!string.IsNullOrWhiteSpace(cs))
            {
                o.ConnectionString = cs;
            }
        });
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        services.AddOptions<StoreOptions>().ValidateOnStart();
        services.AddSingleton(sp => StoreDialect.For(sp.GetRequiredService<IOptions<StoreOptions>>().Value));
        services.AddSingleton<StoreHealth>();
        services.AddSingleton<StoreWriteGate>();
        services.AddSingleton<GatewayInstance>();
        services.AddDbContextFactory<GatewayDbContext>((sp, options) => UseStore(options, sp.GetRequiredService<IOptions<StoreOptions>>().Value));

        services.AddOptions<RedisOptions>().Bind(configuration.GetSection("Redis")).Configure(o =>
        {
            var cs = configuration.GetConnectionString("Redis");
            if (!string.IsNullOrWhiteSpace(cs))
            {
                o.ConnectionString = cs;
            }
        });
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddOptions<RedisOptions>().ValidateOnStart();
        services.AddSingleton<RedisConnection>();

        // Routing rules are validated by RoutingRules, which keeps the last good rules when a reload is bad.
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection("Routing"));
        services.AddSingleton<RoutingRules>();
        services.AddOptions<AgentsOptions>().Bind(configuration.GetSection("Agents")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AgentsOptions>, AgentsOptionsValidator>();
        services.AddOptions<PresenceOptions>().Bind(configuration.GetSection("Presence")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PresenceOptions>, PresenceOptionsValidator>();
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection("Ingest")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection("Delivery")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidator>();
        services.AddOptions<PluginsOptions>().Bind(configuration.GetSection("Plugins")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PluginsOptions>, PluginsOptionsValidator>();
        services.AddOptions<ProviderHttpOptions>().Bind(configuration.GetSection("ProviderHttp")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProviderHttpOptions>, ProviderHttpOptionsValidator>();

        services.AddOptions<BusinessHoursOptions>().Bind(configuration.GetSection("BusinessHours")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BusinessHoursOptions>, BusinessHoursValidator>();
        services.AddSingleton<BusinessHours>();
        services.AddSingleton<AutoReplyService>();
        services.AddOptions<SurveyOptions>().Bind(configuration.GetSection("Survey")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SurveyOptions>, SurveyOptionsValidator>();
        services.AddSingleton<SurveyAnswers>();
        services.AddSingleton<OverflowService>();
        services.AddSingleton<RedisRoutingStore>();
        services.AddSingleton<GatewayEventBus>();
        services.AddSingleton<ConversationRouter>();
        services.AddSingleton<InboundWriter>();
        services.AddSingleton<IngestService>();
        services.AddSingleton<ConversationQueries>();
        services.AddSingleton<ConversationService>();
        services.AddSingleton<ConversationLifecycle>();
        services.AddSingleton<Search.SearchQueries>();
        services.AddSingleton<PluginLoader>();
        services.AddSingleton<ChannelInstanceFactory>();
        services.AddSingleton<ChannelRegistry>();
        services.AddOptions<Attachments.AttachmentOptions>().Bind(configuration.GetSection("Attachments")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Attachments.AttachmentOptions>, Attachments.AttachmentOptionsValidator>();
        services.AddSingleton<Attachments.IBlobStore>(sp => new Attachments.DiskBlobStore(sp.GetRequiredService<IOptions<Attachments.AttachmentOptions>>().Value.Path));
        services.AddSingleton<Attachments.AttachmentService>();
        services.AddSingleton<Attachments.HtmlBodies>();
        services.AddSingleton<ReplyTokens>();
        services.AddSingleton<RichInbound>();
        services.AddSingleton<GatewayKeyRing>();
        services.AddSingleton<Contacts.ContactMergeService>();

        // Start order matters: the store and Redis first, then the live notifier, then channels.
        services.AddSingleton<RoutingRecoveryService>();
        services.AddHostedService<StartupInitializer>();
        services.AddCannedReplies(configuration);
        services.AddHostedService<Contacts.ContactGroupSeeder>();
        services.AddHostedService<Attachments.AttachmentCleanupService>();
        services.AddGatewayHealth(configuration);
        services.AddHostedService(sp => sp.GetRequiredService<RoutingRecoveryService>());
        services.AddSingleton<HandOffRetryService>();
        services.AddHostedService(sp => sp.GetRequiredService<HandOffRetryService>());
        // It queries the store every second from its start: after the migrations (it once logged "no such
        // table: Conversations" at the first start of a fresh store that took over a second to migrate).
        services.AddHostedService(sp => sp.GetRequiredService<OverflowService>());
        services.AddSingleton<AgentNotifier>();
        services.AddSingleton<ConversationActivityService>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentNotifier>());
        services.AddSingleton<AgentConnectionTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentConnectionTracker>());
        services.AddSingleton<ResponseWatchService>();
        services.AddHostedService(sp => sp.GetRequiredService<ResponseWatchService>());
        services.AddSingleton<DeliveryService>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryService>());
        services.AddSingleton<ReplyFanOutService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplyFanOutService>());
        services.AddHostedService<ChannelLifetimeService>();

        services.AddFollowUps(configuration);
        services.AddWebhooks(configuration);
        services.AddReports(configuration);
        services.AddOptions<FollowUps.Callbacks.CallbackOptions>().Bind(configuration.GetSection("Callbacks")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FollowUps.Callbacks.CallbackOptions>, FollowUps.Callbacks.CallbackOptionsValidator>();
        services.AddSingleton<FollowUps.IFollowUpKindHandler, FollowUps.Callbacks.CallbackHandler>();
        services.AddConversationActions(configuration);
        services.AddAgentAuth(configuration);
        services.AddSignalR();
        services.AddOpenApi();
        return services;
    }
}
