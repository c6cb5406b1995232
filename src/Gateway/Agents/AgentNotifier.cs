using ChatGateway.Abstractions;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.FollowUps.Callbacks;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Listens to the event bus on every gateway instance and pushes what happened to the agents connected
/// here (SignalR) and to customers on live channels (the channel's <see cref="IConversationStatusObserver"/>).
/// </summary>
internal sealed partial class AgentNotifier(
    GatewayEventBus events,
    ConversationQueries queries,
    IDbContextFactory<GatewayDbContext> dbFactory,
    ChannelRegistry channels,
    ConversationRouter router,
    RedisRoutingStore store,
    IHubContext<AgentHub> hub,
    GatewayInstance self,
    ILogger<AgentNotifier> logger) : GatewayEventSubscriber(events, logger)
{
    /// <summary>How many of those waiting behind an assigned conversation are told their new place (the rest hear it as they move up).</summary>
    private const int PlacesToldOnAssignment = 20;

    protected override async Task HandleAsync(GatewayEvent e, CancellationToken cancellationToken)
    {
        var agent = e.AgentId?.ToString();
        // An agent's push continues the trace of the step that published it, on whichever instance that ran.
        using var activity = agent is null ? null : Telemetry.GatewayTracing.StartContinuing(
            Telemetry.GatewayTracing.Push, System.Diagnostics.ActivityKind.Consumer, e.TraceParent, e.TraceState);
        if (activity is not null)
        {
            activity.SetTag(Telemetry.GatewayTracing.EventTag, e.Type);
            activity.SetTag(Telemetry.GatewayTracing.ConversationTag, e.ConversationId);
            activity.SetTag(Telemetry.GatewayTracing.AgentTag, agent);
            activity.SetTag(Telemetry.GatewayTracing.InstanceTag, self.Id);
        }

        switch (e.Type)
        {
            case GatewayEventTypes.Assigned when agent is not null:
                var conversation = await queries.GetAsync(e.ConversationId, cancellationToken);
                if (conversation is not null)
                {
                    await hub.Clients.User(agent).SendAsync("conversationAssigned", conversation, cancellationToken);
                    await TellCustomerAsync(e.ConversationId, "assigned", cancellationToken);

                    // Everyone behind moved up one: the first in line hear their new place.
                    foreach (var waiting in await store.GetHeadAsync(conversation.Skill, PlacesToldOnAssignment))
                    {
                        await TellCustomerAsync(waiting, "waiting", cancellationToken);
                    }
                }

                break;
            case GatewayEventTypes.MessageAdded or GatewayEventTypes.MessageStatus when agent is not null && e.MessageId is { } messageId:
                var message = e.Message ?? await queries.GetMessageAsync(messageId, cancellationToken);
                if (message is not null)
                {
                    var method = e.Type == GatewayEventTypes.MessageAdded ? "messageAdded" : "messageStatusChanged";
                    await hub.Clients.User(agent).SendAsync(method, e.ConversationId, message, cancellationToken);
                }

                break;
            case GatewayEventTypes.Removed when agent is not null:
                await hub.Clients.User(agent).SendAsync("conversationRemoved", e.ConversationId, cancellationToken);
                break;
            case GatewayEventTypes.Overdue when agent is not null && e.MessageId is { } overdueMessage:
                await hub.Clients.User(agent).SendAsync("responseOverdue", e.ConversationId, overdueMessage, cancellationToken);
                break;
            case GatewayEventTypes.PromiseDue when agent is not null && e.MessageId is { } due:
                await hub.Clients.User(agent).SendAsync("promiseDue", await PromiseAlertAsync(e, due, cancellationToken), cancellationToken);
                break;
            case GatewayEventTypes.PromiseUnkept when e.MessageId is { } unkept:
                await TellSupervisorsAsync("promiseUnkept", await PromiseAlertAsync(e, unkept, cancellationToken), agent, cancellationToken);
                break;
            case GatewayEventTypes.Snoozed when agent is not null:
                await hub.Clients.User(agent).SendAsync("conversationSnoozed", e.ConversationId, e.DueAt, cancellationToken);
                break;
            case GatewayEventTypes.Woken when agent is not null:
                await hub.Clients.User(agent).SendAsync("conversationWoken", e.ConversationId, cancellationToken);
                break;
            case GatewayEventTypes.Waiting:
                await TellCustomerAsync(e.ConversationId, "waiting", cancellationToken);
                break;
            case GatewayEventTypes.Closed:
                if (agent is not null)
                {
                    await hub.Clients.User(agent).SendAsync("conversationClosed", e.ConversationId, cancellationToken);
                }

                await TellCustomerAsync(e.ConversationId, "closed", cancellationToken);
                break;
            case GatewayEventTypes.CustomerTyping when agent is not null:
                await hub.Clients.User(agent).SendAsync("customerTyping", e.ConversationId, e.Text == ActivityTyping.On, cancellationToken);
                break;
            case GatewayEventTypes.CustomerRead when agent is not null && e.DueAt is { } customerReadAt:
                await hub.Clients.User(agent).SendAsync("customerRead", e.ConversationId, customerReadAt, cancellationToken);
                break;
            case GatewayEventTypes.AgentTyping:
                await TellCustomerActivityAsync(e, e.Text == ActivityTyping.On ? ConversationActivityKind.TypingStarted : ConversationActivityKind.TypingStopped, cancellationToken);
                break;
            case GatewayEventTypes.AgentRead when e.DueAt is { } agentReadAt:
                // The agent's other desks clear the conversation's unread count too.
                if (agent is not null)
                {
                    await hub.Clients.User(agent).SendAsync("conversationRead", e.ConversationId, agentReadAt, cancellationToken);
                }

                await TellCustomerActivityAsync(e, ConversationActivityKind.Read, cancellationToken);
                break;
        }
    }

    // ---------------------------------------------------------------- live activity (typing, read marks)

    /// <summary>Tells the customer the event names, through their channel's <see cref="IConversationActivityObserver"/> on this instance.</summary>
    private async Task TellCustomerActivityAsync(GatewayEvent e, ConversationActivityKind kind, CancellationToken cancellationToken)
    {
        if (e.InstanceId is null || e.ExternalId is null || !channels.TryGetRunning(e.InstanceId, out var channel)
            || channel.Services!.GetService<IConversationActivityObserver>() is not { } observer)
        {
            return;
        }

        var activity = new AgentActivity(e.ConversationId, new ChannelRecipient { ExternalId = e.ExternalId }, kind) { ReadUpTo = kind == ConversationActivityKind.Read ? e.DueAt : null };
        await observer.OnAgentActivityAsync(activity, cancellationToken);
    }

    private async Task<PromiseAlertDto> PromiseAlertAsync(GatewayEvent e, Guid followUpId, CancellationToken cancellationToken)
    {
        string? name = null;
        if (e.AgentId is { } id)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            name = await db.Agents.AsNoTracking().Where(a => a.Id == id).Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken);
        }

        return new PromiseAlertDto(followUpId, e.ConversationId, e.DueAt ?? default, e.Text, e.AgentId, name);
    }

    /// <summary>Every enabled supervisor connected here, and <paramref name="alsoAgent"/>, hear <paramref name="method"/>.</summary>
    private async Task TellSupervisorsAsync(string method, object payload, string? alsoAgent, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var users = (await db.Agents.AsNoTracking().Where(a => a.Enabled && a.Role == AgentRoles.Supervisor).Select(a => a.Id).ToListAsync(cancellationToken))
            .Select(id => id.ToString()).ToList();
        if (alsoAgent is not null && !users.Contains(alsoAgent))
        {
            users.Add(alsoAgent);
        }

        await hub.Clients.Users(users).SendAsync(method, payload, cancellationToken);
    }

    private async Task TellCustomerAsync(Guid conversationId, string status, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == conversationId, cancellationToken);
        if (c is null || !channels.TryGetRunning(c.LastInstanceId, out var channel))
        {
            return;
        }

        var observer = channel.Services!.GetService<IConversationStatusObserver>();
        if (observer is null)
        {
            return;
        }

        var agentName = status == "assigned" && c.AssignedAgentId is { } id
            ? await db.Agents.Where(a => a.Id == id).Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken)
            : null;
        var change = new ConversationStatusChange(conversationId, new ChannelRecipient { ExternalId = c.LastExternalId }, status, agentName);
        if (status == "waiting")
        {
            var (position, estimate) = await router.GetQueuePositionAsync(conversationId, c.Skill);
            change = change with { QueuePosition = position, EstimatedWait = estimate };
        }

        await observer.OnStatusChangedAsync(change, cancellationToken);
    }
}
