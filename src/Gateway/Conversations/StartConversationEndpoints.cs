using System.Text.Json;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.ReplyGuard;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>Starts a conversation: <paramref name="IdentityId"/> one of the contact's channel identities, <paramref name="Text"/> the first message.</summary>
public sealed record StartConversationRequest(Guid? IdentityId, string? Text, bool ConfirmForbidden = false);

/// <summary>
/// An agent writes first to a contact (to call back as promised), on a channel of theirs the agent picks, within the
/// channel's rules: the customer's opt-outs, and the channel's own (a window after the customer's last message, a
/// template outside it): refused with the channel's reason. The contact's open conversation is used when there is one
/// (theirs, or one the gateway started and nobody has); otherwise a new one, assigned to the agent.
/// </summary>
internal static class StartConversationEndpoints
{
    public static void MapStartConversation(this RouteGroupBuilder agent) =>
        agent.MapPost("/contacts/{id:guid}/conversations", StartAsync);

    private static async Task<IResult> StartAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ChannelRegistry channels, ConversationService conversations,
        ConversationQueries queries, RedisRoutingStore store, GatewayEventBus events, ForbiddenPhrases phrases, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<StartConversationRequest>(http, ct);
        if (request is null || request.IdentityId is null)
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "identityId is required: one of the contact's channel identities");
        }

        if (request.Text is null || VisibleText.IsBlank(request.Text))
        {
            return Error(StatusCodes.Status400BadRequest, "text is required: the first message");
        }

        if (request.Text.Length > ConversationService.MaxReplyLength)
        {
            return Error(StatusCodes.Status400BadRequest, $"text is {request.Text.Length} characters; the limit is {ConversationService.MaxReplyLength}");
        }

        var forbidden = phrases.Find(request.Text);
        if (forbidden.Count > 0 && !request.ConfirmForbidden)
        {
            return Results.Json(
                new ForbiddenReplyDto("the message carries forbidden phrases: change it, or send it again with confirmForbidden: true to send it anyway", forbidden),
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return Results.Unauthorized();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (contact is null)
        {
            return Error(StatusCodes.Status404NotFound, "no such contact");
        }

        var identity = await db.ChannelIdentities.AsNoTracking().FirstOrDefaultAsync(i => i.Id == request.IdentityId && i.ContactId == id, ct);
        if (identity is null)
        {
            return Error(StatusCodes.Status400BadRequest, "identityId is not one of this contact's channel identities");
        }

        if (await RefusesAsync(db, channels, contact, identity, ct) is { } refused)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, refused);
        }

        var now = time.GetUtcNow();
        var open = await db.Conversations.Where(c => c.ContactId == id && c.Status != ConversationStatus.Closed)
            .OrderByDescending(c => c.CreatedAt).FirstOrDefaultAsync(ct);
        var created = false;
        if (open is not null && open.Status == ConversationStatus.Assigned && open.AssignedAgentId != agent.Id)
        {
            var holder = await db.Agents.AsNoTracking().Where(a => a.Id == open.AssignedAgentId).Select(a => a.DisplayName).FirstOrDefaultAsync(ct);
            return Error(StatusCodes.Status409Conflict, $"the customer's open conversation is with {holder ?? "another agent"}: ask them, or a supervisor, to transfer it");
        }

        if (open is not null && open.Status == ConversationStatus.Waiting)
        {
            return Error(StatusCodes.Status409Conflict, $"the customer's conversation is waiting in the {open.Skill} queue: take it from there");
        }

        if (open is null || open.Status == ConversationStatus.Pending)
        {
            // A new one (or one the gateway started for a follow-up that nobody has): the agent's, counted in their load.
            if (open is null)
            {
                open = new Conversation
                {
                    Id = Ids.NewVersion7(now),
                    ContactId = id,
                    Skill = agent.SkillList.FirstOrDefault() ?? "general",
                    RoutingReason = $"started by {agent.DisplayName} from the desk",
                    LastInstanceId = identity.InstanceId,
                    LastExternalId = identity.ExternalId,
                    CreatedAt = now,
                    LastMessageAt = now,
                };
                db.Conversations.Add(open);
                created = true;
            }

            open.Status = ConversationStatus.Assigned;
            open.AssignedAgentId = agent.Id;
            open.AssignedAt = now;
            open.StepEnteredAt = now;
            await db.SaveChangesAsync(CancellationToken.None);
            await store.RestoreAssignedAsync(open.Id, agent.Id, open.Skill, channels.ChannelTypeOf(identity.InstanceId));
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Assigned, open.Id, agent.Id));
        }

        var (message, error, reason) = await conversations.ReplyAsync(open.Id, agent, request.Text, identity.Id, ct);
        if (error != ConversationActionError.None)
        {
            // The channel said no after all (its window): the conversation is the agent's, with nothing sent.
            return Error(error == ConversationActionError.BadRequest ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status409Conflict, reason!);
        }

        if (forbidden.Count > 0)
        {
            await ReplyGuardEndpoints.RecordAsync(dbFactory, agent.Id, open.Id, message!.Id, forbidden, now);
        }

        var dto = await queries.GetAsync(open.Id, CancellationToken.None);
        return Results.Json(dto, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    /// <summary>Why the gateway may not write first to the customer on this identity's channel now, or null.</summary>
    private static async Task<string?> RefusesAsync(GatewayDbContext db, ChannelRegistry channels, Contact contact, ChannelIdentity identity, CancellationToken ct)
    {
        var instance = identity.InstanceId;
        if (!channels.TryGetRunning(instance, out var channel))
        {
            return $"{instance} is not running";
        }

        var caps = channel.Plugin!.Capabilities;
        if (!caps.HasFlag(ChannelCapabilities.SendText))
        {
            return $"{instance} sends no text";
        }

        if (contact.OptOutAllAt is not null)
        {
            return "the customer declined all messages the shop starts";
        }

        if (identity.OptedOutAt is not null)
        {
            return $"the customer opted out of {instance} (e.g. STOP by SMS): write on another of their channels";
        }

        if (!caps.HasFlag(ChannelCapabilities.StartConversation))
        {
            return $"{instance} cannot start a conversation: the customer writes first there";
        }

        if (channel.Services!.GetService<IChannelOutreach>() is { } outreach)
        {
            var last = await db.Messages.AsNoTracking()
                .Where(m => m.Direction == MessageDirection.In && m.InstanceId == instance && m.ExternalId == identity.ExternalId
                    && db.Conversations.Any(c => c.Id == m.ConversationId && c.ContactId == contact.Id))
                .Select(m => m.CreatedAt).ToListAsync(ct)
                is { Count: > 0 } times ? times.Max() : (DateTimeOffset?)null;
            var request = new OutreachRequest(new ChannelRecipient { ExternalId = identity.ExternalId }, last, Transactional: true);
            if (await outreach.CannotReachAsync(request, ct) is { } cannot)
            {
                return $"{instance}: {cannot}";
            }
        }

        return null;
    }

    private static IResult Error(int status, string error) => Results.Json(new ErrorDto(error), statusCode: status);
}
