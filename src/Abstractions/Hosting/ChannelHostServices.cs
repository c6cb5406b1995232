using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Abstractions.Hosting;

/// <summary>
/// What a host offers each channel instance: the gateway passes its own implementations, the plugin test kit its test
/// doubles. <see cref="ChannelContainer"/> registers them in the instance's private container before the plugin's own
/// registrations, so a plugin sees the same services in its tests as in the gateway.
/// </summary>
public sealed class ChannelHostServices
{
    /// <summary>The host's logging; <c>ILogger&lt;T&gt;</c> resolves from it.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>The host's clock.</summary>
    public required TimeProvider TimeProvider { get; init; }

    /// <summary>The host application's lifetime; null where no application runs (the test kit), and then not registered.</summary>
    public IHostApplicationLifetime? Lifetime { get; init; }

    /// <summary>Where the instance hands customers' messages to the host.</summary>
    public required IInboundSink Inbound { get; init; }

    /// <summary>Where the instance reports customers' typing and reading.</summary>
    public required ICustomerActivitySink CustomerActivity { get; init; }

    /// <summary>Where the instance reports providers' delivery receipts.</summary>
    public required IDeliveryStatusSink DeliveryStatuses { get; init; }

    /// <summary>The conversations' history as the instance may read it.</summary>
    public required IConversationHistory History { get; init; }

    /// <summary>The instance's files.</summary>
    public required IAttachmentStore Attachments { get; init; }

    /// <summary>The instance's small durable values.</summary>
    public required IChannelState State { get; init; }

    /// <summary>The instance's leases among gateway instances.</summary>
    public required IChannelLeases Leases { get; init; }

    /// <summary>The instance's keys.</summary>
    public required IChannelKeys Keys { get; init; }

    /// <summary>Where the instance hands shops' order events to the host; null where nobody takes them (the test kit), and then not registered.</summary>
    public IOrderEventSink? OrderEvents { get; init; }

    /// <summary>The customers' outreach preferences (opt-outs).</summary>
    public required IOutreachPreferences OutreachPreferences { get; init; }

    /// <summary>Where the instance reports what a provider's profile says about a customer.</summary>
    public required IContactProfiles ContactProfiles { get; init; }

    /// <summary>
    /// The host's own additions to every instance's container, after the registrations above and before the plugin's:
    /// the gateway puts its provider HTTP policies (time limits, circuit breaker) on the instance's <c>IHttpClientFactory</c> here.
    /// </summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
