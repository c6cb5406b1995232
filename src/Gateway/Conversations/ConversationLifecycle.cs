using System.Globalization;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>A page of closed conversations, newest closed first; <paramref name="NextBefore"/> asks for the next page (null: no more).</summary>
public sealed record ClosedConversationsDto(IReadOnlyList<ClosedConversationDto> Items, string? NextBefore);

/// <summary>A closed conversation as the Closed list shows it: who it was with, on which channel, who closed it and when.</summary>
public sealed record ClosedConversationDto(
    Guid Id, ContactDto Contact, string ChannelInstanceId, string? ChannelType, string Skill, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt,
    Guid? ClosedByAgentId, string? ClosedByAgentName, int? SurveyRating);

/// <summary>A customer waiting in a queue, as the Queues view lists them; <paramref name="CanTake"/>: the queue is one the agent serves.</summary>
public sealed record WaitingConversationDto(
    Guid Id, string Skill, string? CustomerName, string ChannelInstanceId, string? ChannelType, bool IsVip, int Priority, double WaitingSeconds, bool CanTake);

/// <summary>Why a reopen or a take did not happen (nothing changed).</summary>
internal enum LifecycleError { None, NotFound, Conflict, Forbidden }

/// <summary>
/// A conversation's life after routing: the closed ones (listed, reopened by an agent) and waiting ones an agent takes
/// from a queue themselves.
/// </summary>
internal sealed class ConversationLifecycle(
    IDbContextFactory<GatewayDbContext> dbFactory, ConversationRouter router, RoutingRules rules, ChannelRegistry channels, TimeProvider time)
{
    public const int ClosedPageSize = 30;
    public const int MaxWaitingListed = 100;

    /// <summary>
    /// Closed conversations, newest closed first: those the agent closed, or (<paramref name="everyone"/>) everyone's.
    /// <paramref name="before"/> is a previous page's <see cref="ClosedConversationsDto.NextBefore"/>.
    /// </summary>
    public async Task<ClosedConversationsDto> ListClosedAsync(Guid agentId, bool everyone, (DateTimeOffset At, Guid Id)? before, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Conversations.AsNoTracking().Where(c => c.Status == ConversationStatus.Closed && c.ClosedAt != null);
        if (!everyone)
        {
            query = query.Where(c => c.ClosedByAgentId == agentId);
        }

        if (before is { } cursor)
        {
            query = query.Where(c => c.ClosedAt < cursor.At || (c.ClosedAt == cursor.At && c.Id.CompareTo(cursor.Id) < 0));
        }

        var rows = await query
            .OrderByDescending(c => c.ClosedAt).ThenByDescending(c => c.Id)
            .Take(limit + 1)
            .Select(c => new
            {
                Conversation = c,
                c.Contact,
                ClosedBy = db.Agents.Where(a => a.Id == c.ClosedByAgentId).Select(a => a.DisplayName).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var more = rows.Count > limit;
        var page = rows.Take(limit).ToList();
        var items = page.Select(r => new ClosedConversationDto(
            r.Conversation.Id, r.Contact!.ToDto(), r.Conversation.LastInstanceId, channels.ChannelTypeOf(r.Conversation.LastInstanceId), r.Conversation.Skill,
            r.Conversation.CreatedAt, r.Conversation.ClosedAt, r.Conversation.ClosedByAgentId, r.ClosedBy, r.Conversation.SurveyRating)).ToList();
        var last = page.LastOrDefault()?.Conversation;
        return new ClosedConversationsDto(items, more && last is not null ? Cursor(last.ClosedAt!.Value, last.Id) : null);
    }

    public static string Cursor(DateTimeOffset at, Guid id) => at.UtcTicks.ToString(CultureInfo.InvariantCulture) + "_" + id.ToString("N");

    /// <summary>Reads a <see cref="ClosedConversationsDto.NextBefore"/>; false when it is not one.</summary>
    public static bool TryParseCursor(string value, out (DateTimeOffset At, Guid Id) cursor)
    {
        cursor = default;
        var parts = value.Split('_');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks || !Guid.TryParseExact(parts[1], "N", out var id))
        {
            return false;
        }

        cursor = (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }

    /// <summary>
    /// Opens a closed conversation again as the agent's: it counts in their load, shows on their desk, and the customer's
    /// next message lands in it. Refused while the customer has another conversation open (the inbound writer keeps one
    /// open conversation per customer; the check and the change run under the lock the writer takes for that customer).
    /// </summary>
    public async Task<(LifecycleError Error, string? Reason)> ReopenAsync(Guid conversationId, Agent agent, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken);
        if (conversation is null)
        {
            return (LifecycleError.NotFound, "no such conversation");
        }

        var now = time.GetUtcNow();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (db.Database.IsNpgsql())
            {
                // The inbound writer locks the customer's contact row while it finds or opens their conversation.
                await db.Database.ExecuteSqlAsync($"SELECT 1 FROM \"Contacts\" WHERE \"Id\" = {conversation.ContactId} FOR UPDATE", cancellationToken);
            }

            var current = await db.Conversations.AsNoTracking().FirstAsync(c => c.Id == conversationId, cancellationToken);
            if (current.Status != ConversationStatus.Closed)
            {
                return (LifecycleError.Conflict, $"the conversation is not closed (it is {current.Status.ToApi()})");
            }

            var other = await db.Conversations.AsNoTracking()
                .Where(c => c.ContactId == current.ContactId && c.Id != conversationId && c.Status != ConversationStatus.Closed)
                .Select(c => new { c.Id, c.Status, c.Skill, Agent = db.Agents.Where(a => a.Id == c.AssignedAgentId).Select(a => a.DisplayName).FirstOrDefault() })
                .FirstOrDefaultAsync(cancellationToken);
            if (other is not null)
            {
                var where = other.Status switch
                {
                    ConversationStatus.Assigned => $"with {other.Agent ?? "another agent"}",
                    ConversationStatus.Waiting => $"waiting in the {other.Skill} queue",
                    _ => "waiting for the customer's answer",
                };
                return (LifecycleError.Conflict, $"the customer has another open conversation {other.Id} ({where}); continue there instead");
            }

            await db.Conversations.Where(c => c.Id == conversationId && c.Status == ConversationStatus.Closed)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ConversationStatus.Assigned)
                    .SetProperty(c => c.AssignedAgentId, agent.Id)
                    .SetProperty(c => c.AssignedAt, now)
                    .SetProperty(c => c.ClosedAt, (DateTimeOffset?)null)
                    .SetProperty(c => c.LastMessageAt, now), CancellationToken.None);
            // The survey planned at closing would ask about a conversation that goes on.
            await db.FollowUps
                .Where(f => f.ConversationId == conversationId && f.Kind == FollowUpKinds.Survey && f.Status == FollowUpStatus.Planned)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(f => f.Status, FollowUpStatus.Cancelled)
                    .SetProperty(f => f.Reason, "the conversation was reopened")
                    .SetProperty(f => f.DoneAt, now)
                    .SetProperty(f => f.ChangedByAgentId, agent.Id), CancellationToken.None);
            db.Messages.Add(new Message
            {
                Id = Guid.CreateVersion7(now),
                ConversationId = conversationId,
                InstanceId = current.LastInstanceId,
                ExternalId = current.LastExternalId,
                Direction = MessageDirection.Note,
                Text = $"{agent.DisplayName} reopened this conversation.",
                Status = MessageStatus.Received,
                CreatedAt = now,
            });
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }

        await router.ReopenedAsync(conversationId, agent.Id, conversation.Skill, channels.ChannelTypeOf(conversation.LastInstanceId));
        return (LifecycleError.None, null);
    }

    /// <summary>The agent takes a waiting conversation from a queue they serve.</summary>
    public async Task<(LifecycleError Error, string? Reason)> TakeAsync(Guid conversationId, Agent agent, CancellationToken cancellationToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var conversation = await db.Conversations.AsNoTracking().Select(c => new { c.Id, c.Status, c.Skill, c.AssignedAgentId })
                .FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken);
            if (conversation is null)
            {
                return (LifecycleError.NotFound, "no such conversation");
            }

            if (conversation.Status != ConversationStatus.Waiting)
            {
                return (LifecycleError.Conflict, conversation.Status == ConversationStatus.Assigned
                    ? "the conversation is no longer waiting: an agent has it"
                    : $"the conversation is not waiting in a queue (it is {conversation.Status.ToApi()})");
            }
        }

        var (result, skill) = await router.TakeAsync(conversationId, agent);
        return result switch
        {
            TakeResult.Taken => (LifecycleError.None, null),
            TakeResult.Unfit => (LifecycleError.Forbidden, $"the conversation waits in the {skill} queue, which your skills ({string.Join(", ", agent.SkillList)}) do not serve"),
            _ => (LifecycleError.Conflict, "the conversation is no longer waiting: an agent has it"),
        };
    }

    /// <summary>
    /// Customers waiting in the queues the agent serves (a supervisor: every queue), longest waiting first; each says whether
    /// the agent can take it.
    /// </summary>
    public async Task<IReadOnlyList<WaitingConversationDto>> ListWaitingAsync(Agent agent, bool supervisor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var served = rules.Current.QueuesFor(agent.SkillList, agent.AttributeMap);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Conversations.AsNoTracking().Where(c => c.Status == ConversationStatus.Waiting);
        if (!supervisor)
        {
            query = query.Where(c => served.Contains(c.Skill));
        }

        var rows = await query
            .Select(c => new { c.Id, c.Skill, c.Priority, c.LastInstanceId, Since = c.StepEnteredAt ?? c.CreatedAt, c.Contact!.DisplayName, c.Contact.DeclaredName, c.Contact.Phone, c.Contact.Email, c.Contact.IsVip })
            .ToListAsync(cancellationToken);
        return rows.OrderBy(r => r.Since).Take(MaxWaitingListed).Select(r => new WaitingConversationDto(
            r.Id, r.Skill, r.DisplayName ?? r.DeclaredName ?? r.Phone ?? r.Email, r.LastInstanceId, channels.ChannelTypeOf(r.LastInstanceId), r.IsVip, r.Priority,
            Math.Max(0, Math.Round((now - r.Since).TotalSeconds)), served.Contains(r.Skill))).ToList();
    }
}
