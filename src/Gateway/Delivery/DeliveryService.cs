using System.Threading.Channels;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Delivery;

/// <summary>
/// Sends pending outbound messages through their channel. The store is the queue: a message is
/// pending until a send succeeds, a transient failure is retried with exponential backoff, and after
/// the last attempt (or a permanent failure) it is marked failed with the reason, visible to the agent.
/// Each attempt first claims the message with a lease, so two gateway instances never send it twice.
/// </summary>
internal sealed partial class DeliveryService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    ChannelHost channels,
    GatewayEventBus events,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Tells the loop new work is there (a coalescing signal; the store holds the work).</summary>
    public void Signal() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var due = await ClaimDueAsync(settings, stoppingToken);
                if (due.Count > 0)
                {
                    await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = stoppingToken },
                        async (id, ct) => await AttemptAsync(id, settings, ct));
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex);
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(settings.PollInterval);
            try
            {
                await _wake.Reader.WaitToReadAsync(poll.Token);
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // poll interval elapsed
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<List<Guid>> ClaimDueAsync(DeliveryOptions settings, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var candidates = await db.Messages.AsNoTracking()
            .Where(m => m.Status == MessageStatus.Pending && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => new { m.Id, m.NextAttemptAt })
            .Take(64)
            .ToListAsync(cancellationToken);

        var lease = now + settings.AttemptTimeout + TimeSpan.FromSeconds(30);
        var claimed = new List<Guid>(candidates.Count);
        foreach (var c in candidates)
        {
            var rows = await db.Messages
                .Where(m => m.Id == c.Id && m.Status == MessageStatus.Pending && m.NextAttemptAt == c.NextAttemptAt)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, lease), cancellationToken);
            if (rows == 1)
            {
                claimed.Add(c.Id);
            }
        }

        return claimed;
    }

    private async Task AttemptAsync(Guid messageId, DeliveryOptions settings, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var message = await db.Messages.FirstOrDefaultAsync(m => m.Id == messageId, cancellationToken);
        if (message is null || message.Status != MessageStatus.Pending)
        {
            return;
        }

        var conversation = await db.Conversations.AsNoTracking().FirstAsync(c => c.Id == message.ConversationId, cancellationToken);
        message.Attempts++;
        DeliveryResult result;
        if (!channels.TryGetRunning(message.InstanceId, out var channel))
        {
            result = DeliveryResult.Permanent($"channel '{message.InstanceId}' is not running");
        }
        else
        {
            var outbound = new OutboundMessage
            {
                MessageId = message.Id,
                ConversationId = message.ConversationId,
                // The identity the reply was addressed to, and nothing else of the contact: after a merge a contact may
                // hold several numbers, and a reply must reach the one it was sent to (the SMS channel falls back from
                // Phone to the external id, which is the number that wrote in).
                Recipient = new ChannelRecipient { ExternalId = message.ExternalId },
                Text = message.Text,
                AgentName = message.AgentName,
                CreatedAt = message.CreatedAt,
            };
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(settings.AttemptTimeout);
            try
            {
                result = await channel.Sender.SendAsync(outbound, attempt.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = DeliveryResult.Transient($"send timed out after {settings.AttemptTimeout.TotalSeconds:0} s");
            }
            catch (NotSupportedException ex)
            {
                result = DeliveryResult.Permanent(ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSendThrew(logger, ex, message.Id);
                result = DeliveryResult.Transient($"channel error: {ex.GetType().Name}");
            }
        }

        var now = time.GetUtcNow();
        message.UpdatedAt = now;
        switch (result.Outcome)
        {
            case DeliveryOutcome.Sent or DeliveryOutcome.Delivered:
                message.Status = result.Outcome == DeliveryOutcome.Delivered ? MessageStatus.Delivered : MessageStatus.Sent;
                message.ProviderMessageId = result.ProviderMessageId ?? message.ProviderMessageId;
                message.Error = null;
                message.NextAttemptAt = null;
                LogSent(logger, message.Id, message.InstanceId, message.Attempts);
                break;
            case DeliveryOutcome.TransientFailure when message.Attempts < settings.MaxAttempts:
                var backoff = TimeSpan.FromTicks(Math.Min(settings.MaxBackoff.Ticks, settings.InitialBackoff.Ticks * (1L << Math.Min(20, message.Attempts - 1))));
                message.NextAttemptAt = now + backoff;
                message.Error = result.Error;
                LogRetrying(logger, message.Id, message.Attempts, backoff);
                LogReason(logger, message.Id, result.Error);
                break;
            default:
                message.Status = MessageStatus.Failed;
                message.Error = result.Error ?? "send failed";
                message.NextAttemptAt = null;
                LogFailed(logger, message.Id, message.Attempts);
                LogReason(logger, message.Id, message.Error);
                break;
        }

        await db.SaveChangesAsync(CancellationToken.None);
        if (message.Status != MessageStatus.Pending && conversation.AssignedAgentId is { } agentId)
        {
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageStatus, conversation.Id, agentId, message.Id));
        }

        if (message.Status is MessageStatus.Sent or MessageStatus.Delivered)
        {
            // The customer's other live channels in this conversation show it too (ReplyFanOutService, on every instance).
            await events.PublishAsync(new GatewayEvent(ReplyFanOutService.ReplySent, conversation.Id, MessageId: message.Id));
        }
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Message {MessageId} sent through {InstanceId} (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, Guid messageId, string instanceId, int attempt);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Message {MessageId} attempt {Attempt} failed; retrying in {Backoff}")]
    private static partial void LogRetrying(ILogger logger, Guid messageId, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Message {MessageId} failed after {Attempts} attempts; the agent sees the reason")]
    private static partial void LogFailed(ILogger logger, Guid messageId, int attempts);

    // A provider's reason can quote the recipient's number, so it stays at Debug.
    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "Message {MessageId} send failure reason: {Reason}")]
    private static partial void LogReason(ILogger logger, Guid messageId, string? reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Channel threw while sending message {MessageId}")]
    private static partial void LogSendThrew(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Delivery loop failed; continuing")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
