using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Delivery;

/// <summary>
/// Shows a reply that went out on one channel to the customer's other live channels in the same
/// conversation: an agent answers by SMS, and the web chat the customer also wrote from shows it too. The
/// delivery worker publishes <see cref="ReplySent"/> once a send succeeded; every gateway instance hears it
/// and tells the channels' <see cref="IConversationReplyObserver"/>s (each holds its own visitors' sockets),
/// only for the contact's identities that took part in that conversation: wrote in it or were answered there.
/// </summary>
internal sealed partial class ReplyFanOutService(
    GatewayEventBus events,
    IDbContextFactory<GatewayDbContext> dbFactory,
    ChannelRegistry channels,
    ILogger<ReplyFanOutService> logger) : GatewayEventSubscriber(events, logger)
{
    /// <summary>The event type: a reply (<see cref="GatewayEvent.MessageId"/>) was sent or delivered.</summary>
    public const string ReplySent = "replySent";

    protected override Task HandleAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken) =>
        gatewayEvent is { Type: ReplySent, MessageId: { } messageId } ? FanOutAsync(gatewayEvent.ConversationId, messageId, cancellationToken) : Task.CompletedTask;

    internal async Task FanOutAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        var observers = new Dictionary<string, IConversationReplyObserver>(StringComparer.Ordinal);
        foreach (var channel in channels.Channels)
        {
            if (channel.State == "running" && channel.Services!.GetService<IConversationReplyObserver>() is { } observer)
            {
                observers[channel.Entry.Id] = observer;
            }
        }

        if (observers.Count == 0)
        {
            return;
        }

        // The contact's identities on channels that show replies live (most contacts: only the one replied to).
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var identities = await db.ChannelIdentities.AsNoTracking()
            .Where(i => db.Conversations.Any(c => c.Id == conversationId && c.ContactId == i.ContactId))
            .ToListAsync(cancellationToken);
        identities.RemoveAll(i => !observers.ContainsKey(i.InstanceId));
        if (identities.Count == 0)
        {
            return;
        }

        var message = await db.Messages.AsNoTracking()
            .FirstOrDefaultAsync(m => m.Id == messageId && m.ConversationId == conversationId && m.Direction == MessageDirection.Out, cancellationToken);
        if (message is null)
        {
            return;
        }

        // Not the identity it went to: that channel delivered it itself.
        var candidates = identities.Where(i => !(i.InstanceId == message.InstanceId && i.ExternalId == message.ExternalId)).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        // Only those that took part in this conversation; another visitor of the contact never sees it.
        var inbound = await ConversationMessages.InboundAsync(db, [conversationId], limit: null, cancellationToken);
        var answered = await ConversationMessages.Others(db, conversationId)
            .Where(m => m.Direction == MessageDirection.Out && m.Id != messageId)
            .Select(m => new { m.InstanceId, m.ExternalId })
            .Distinct()
            .ToListAsync(cancellationToken);
        var tookPart = inbound.Select(m => (m.InstanceId, m.ExternalId)).Concat(answered.Select(m => (m.InstanceId, m.ExternalId))).ToHashSet();

        var shown = new HistoryMessage(message.Id, "out", message.Text, message.AgentName, message.CreatedAt) { SentVia = channels.ChannelTypeOf(message.InstanceId) };
        foreach (var identity in candidates.Where(i => tookPart.Contains((i.InstanceId, i.ExternalId))))
        {
            try
            {
                await observers[identity.InstanceId].OnReplySentElsewhereAsync(
                    new ConversationReply(conversationId, new ChannelRecipient { ExternalId = identity.ExternalId }, shown), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogObserverFailed(logger, ex, identity.InstanceId, message.Id);
            }
        }
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Channel {InstanceId} failed to show reply {MessageId} sent on another channel")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string instanceId, Guid messageId);
}
