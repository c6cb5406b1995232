using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Orders;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Contacts;

/// <summary>
/// The contact panel beside the chat: labels, groups (分组), notes (备注), past conversations and what the web visitor was
/// looking at. An agent reaches the contacts they serve or served, a supervisor every contact; any other answers 404 so
/// ids cannot be probed. What was made for a contact stays on it: the contact kept after a merge shows that of every
/// contact merged into it, and undoing the merge takes it back.
/// </summary>
internal static class ContactPanelEndpoints
{
    private const int MaxConversations = 50;

    public static void MapContactPanelApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Contacts").RequireAuthorization();
        api.MapGet("/contacts/{id:guid}/labels", ListLabelsAsync).WithSummary("The contact's labels, oldest first");
        api.MapPost("/contacts/{id:guid}/labels", AddLabelAsync).WithSummary("Adds a label (1-32 characters; the same label in another case is kept once; at most 20)");
        api.MapDelete("/contacts/{id:guid}/labels/{label}", RemoveLabelAsync).WithSummary("Removes a label (any case)");
        api.MapGet("/contacts/{id:guid}/groups", ListContactGroupsAsync).WithSummary("The groups the contact is in");
        api.MapPut("/contacts/{id:guid}/groups", SetContactGroupsAsync).WithSummary("Puts the contact in exactly these groups");
        api.MapGet("/contacts/{id:guid}/notes", ListNotesAsync).WithSummary("Notes about the contact, newest first");
        api.MapPost("/contacts/{id:guid}/notes", AddNoteAsync).WithSummary("Adds a note (1-2000 characters)");
        api.MapDelete("/contacts/{id:guid}/notes/{noteId:guid}", DeleteNoteAsync).WithSummary("Deletes a note: its author or a supervisor");
        api.MapGet("/contacts/{id:guid}/conversations", ListConversationsAsync).WithSummary("The contact's conversations, newest first (limit 1-50, before: a time)");
        api.MapGet("/contacts/{id:guid}/looking-at", LookingAtAsync).WithSummary("The page, product and cart the web visitor's widget told last");

        api.MapGet("/contact-groups", ListGroupsAsync).WithSummary("The shop's contact groups");
        var supervisor = api.MapGroup("/contact-groups").RequireAuthorization(AuthPolicies.Supervisor);
        supervisor.MapPost("", CreateGroupAsync).WithSummary("Creates a group (supervisors)");
        supervisor.MapPut("/{groupId:guid}", UpdateGroupAsync).WithSummary("Renames or recolours a group (supervisors)");
        supervisor.MapDelete("/{groupId:guid}", DeleteGroupAsync).WithSummary("Deletes a group; its contacts leave it (supervisors)");
    }

    // ---------------------------------------------------------------- labels
    private static async Task<IResult> ListLabelsAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        return Results.Ok(await LabelsAsync(db, contacts, ct));
    }

    private static async Task<IResult> AddLabelAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ContactLabelRequest>(http, ct);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "send JSON { \"label\": \"...\" }");
        }

        var (label, error) = ContactPanelRules.Short(request.Label, "label", ContactPanelRules.MaxLabelLength);
        if (label is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        var key = label.ToLowerInvariant();
        var existing = await db.ContactLabels.AsNoTracking().Where(l => contacts.Contains(l.ContactId)).Select(l => l.Key).ToListAsync(ct);
        if (!existing.Contains(key))
        {
            if (existing.Distinct().Count() >= ContactPanelRules.MaxLabels)
            {
                return Error(StatusCodes.Status400BadRequest, $"the contact has {ContactPanelRules.MaxLabels} labels, the most it may have: remove one first");
            }

            db.ContactLabels.Add(new ContactLabel { Id = Ids.NewVersion7(time.GetUtcNow()), ContactId = id, Label = label, Key = key, AgentId = ApiEndpoints.AgentId(http), CreatedAt = time.GetUtcNow() });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another agent added the same label at the same moment: it is there once, as asked.
                db.ChangeTracker.Clear();
            }
        }

        return Results.Ok(await LabelsAsync(db, contacts, ct));
    }

    private static async Task<IResult> RemoveLabelAsync(Guid id, string label, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        var key = label.Trim().ToLowerInvariant();
        var removed = await db.ContactLabels.Where(l => contacts.Contains(l.ContactId) && l.Key == key).ExecuteDeleteAsync(ct);
        return removed == 0 ? Error(StatusCodes.Status404NotFound, "the contact has no such label") : Results.Ok(await LabelsAsync(db, contacts, ct));
    }

    private static async Task<List<ContactLabelDto>> LabelsAsync(GatewayDbContext db, List<Guid> contacts, CancellationToken ct)
    {
        var rows = await db.ContactLabels.AsNoTracking().Where(l => contacts.Contains(l.ContactId)).ToListAsync(ct);
        return [.. rows.OrderBy(l => l.CreatedAt).DistinctBy(l => l.Key).Select(l => new ContactLabelDto(l.Label, l.CreatedAt))];
    }

    // ---------------------------------------------------------------- groups
    private static async Task<IResult> ListGroupsAsync(IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return Results.Ok(await GroupsAsync(db, null, ct));
    }

    private static async Task<IResult> CreateGroupAsync(HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await ReadGroupAsync(http, ct);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ContactGroups.CountAsync(ct) >= ContactPanelRules.MaxGroups)
        {
            return Error(StatusCodes.Status400BadRequest, $"the shop has {ContactPanelRules.MaxGroups} groups, the most it may have");
        }

        if (await db.ContactGroups.AnyAsync(g => g.Name == request.Name, ct))
        {
            return Error(StatusCodes.Status409Conflict, $"a group named '{request.Name}' exists already");
        }

        var group = new ContactGroup { Id = Ids.NewVersion7(time.GetUtcNow()), Name = request.Name!, Description = request.Description, Color = request.Color!, CreatedAt = time.GetUtcNow() };
        db.ContactGroups.Add(group);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Error(StatusCodes.Status409Conflict, $"a group named '{request.Name}' exists already");
        }

        return Results.Created($"/api/contact-groups/{group.Id}", new ContactGroupDto(group.Id, group.Name, group.Description, group.Color, 0));
    }

    private static async Task<IResult> UpdateGroupAsync(Guid groupId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var (request, error) = await ReadGroupAsync(http, ct);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var group = await db.ContactGroups.FirstOrDefaultAsync(g => g.Id == groupId, ct);
        if (group is null)
        {
            return Error(StatusCodes.Status404NotFound, "no such group");
        }

        if (await db.ContactGroups.AnyAsync(g => g.Name == request.Name && g.Id != groupId, ct))
        {
            return Error(StatusCodes.Status409Conflict, $"a group named '{request.Name}' exists already");
        }

        group.Name = request.Name!;
        group.Description = request.Description;
        group.Color = request.Color!;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Error(StatusCodes.Status409Conflict, $"a group named '{request.Name}' exists already");
        }

        return Results.Ok((await GroupsAsync(db, [groupId], ct))[0]);
    }

    private static async Task<IResult> DeleteGroupAsync(Guid groupId, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.ContactGroupMembers.Where(m => m.GroupId == groupId).ExecuteDeleteAsync(ct);
        var deleted = await db.ContactGroups.Where(g => g.Id == groupId).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);
        return deleted == 0 ? Error(StatusCodes.Status404NotFound, "no such group") : Results.NoContent();
    }

    private static async Task<IResult> ListContactGroupsAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        return Results.Ok(await ContactGroupsAsync(db, contacts, ct));
    }

    private static async Task<IResult> SetContactGroupsAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ContactGroupsRequest>(http, ct);
        if (request?.GroupIds is not { } wanted)
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "send JSON { \"groupIds\": [\"<group id>\", ...] }");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        var ids = wanted.Distinct().ToList();
        var known = await db.ContactGroups.AsNoTracking().Where(g => ids.Contains(g.Id)).Select(g => g.Id).ToListAsync(ct);
        var unknown = ids.Where(g => !known.Contains(g)).ToList();
        if (unknown.Count > 0)
        {
            return Error(StatusCodes.Status400BadRequest, $"no group has id {string.Join(", ", unknown)}: nothing was changed");
        }

        // The groups shown are the contact's and those of contacts merged into it: the set asked for replaces all of them.
        var current = await db.ContactGroupMembers.Where(m => contacts.Contains(m.ContactId)).ToListAsync(ct);
        db.ContactGroupMembers.RemoveRange(current.Where(m => !ids.Contains(m.GroupId)));
        foreach (var group in ids.Where(g => !current.Any(m => m.GroupId == g)))
        {
            db.ContactGroupMembers.Add(new ContactGroupMember { ContactId = id, GroupId = group, AddedAt = time.GetUtcNow() });
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A group deleted or the same change made meanwhile: the answer shows how it stands now.
            db.ChangeTracker.Clear();
        }

        return Results.Ok(await ContactGroupsAsync(db, contacts, ct));
    }

    private static async Task<List<ContactGroupDto>> ContactGroupsAsync(GatewayDbContext db, List<Guid> contacts, CancellationToken ct)
    {
        var groupIds = await db.ContactGroupMembers.AsNoTracking().Where(m => contacts.Contains(m.ContactId)).Select(m => m.GroupId).Distinct().ToListAsync(ct);
        return groupIds.Count == 0 ? [] : await GroupsAsync(db, groupIds, ct);
    }

    private static async Task<List<ContactGroupDto>> GroupsAsync(GatewayDbContext db, List<Guid>? only, CancellationToken ct)
    {
        var query = db.ContactGroups.AsNoTracking();
        if (only is not null)
        {
            query = query.Where(g => only.Contains(g.Id));
        }

        var groups = await query.ToListAsync(ct);
        var ids = groups.Select(g => g.Id).ToList();
        var counts = await db.ContactGroupMembers.AsNoTracking().Where(m => ids.Contains(m.GroupId))
            .GroupBy(m => m.GroupId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return [.. groups.OrderBy(g => g.CreatedAt).ThenBy(g => g.Name, StringComparer.Ordinal)
            .Select(g => new ContactGroupDto(g.Id, g.Name, g.Description, g.Color, counts.GetValueOrDefault(g.Id)))];
    }

    private static async Task<(ContactGroupRequest? Request, string? Error)> ReadGroupAsync(HttpContext http, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ContactGroupRequest>(http, ct);
        if (request is null)
        {
            return (null, bodyError ?? "send JSON { \"name\": \"...\", \"description\": \"...\", \"color\": \"red\" }");
        }

        var (name, error) = ContactPanelRules.Short(request.Name, "name", ContactPanelRules.MaxGroupName);
        if (name is null)
        {
            return (null, error);
        }

        string? description = null;
        if (!string.IsNullOrWhiteSpace(request.Description))
        {
            (description, error) = ContactPanelRules.Short(request.Description, "description", ContactPanelRules.MaxGroupDescription);
            if (description is null)
            {
                return (null, error);
            }
        }

        var color = string.IsNullOrWhiteSpace(request.Color) ? "gray" : request.Color.Trim().ToLowerInvariant();
        if (!ContactPanelRules.Colors.Contains(color))
        {
            return (null, $"color must be one of {string.Join(", ", ContactPanelRules.Colors)}");
        }

        return (new ContactGroupRequest(name, description, color), null);
    }

    // ---------------------------------------------------------------- notes
    private static async Task<IResult> ListNotesAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        return Results.Ok(await NotesAsync(db, contacts, ct));
    }

    private static async Task<IResult> AddNoteAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ContactNoteRequest>(http, ct);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "send JSON { \"text\": \"...\" }");
        }

        var text = request.Text?.Trim();
        if (text is null || VisibleText.IsBlank(text))
        {
            return Error(StatusCodes.Status400BadRequest, $"text is required (1 to {ContactPanelRules.MaxNoteLength} characters)");
        }

        if (text.Length > ContactPanelRules.MaxNoteLength)
        {
            return Error(StatusCodes.Status400BadRequest, $"text is {text.Length} characters; the limit is {ContactPanelRules.MaxNoteLength}");
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return Results.Unauthorized();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is null)
        {
            return NoSuchContact();
        }

        var note = new ContactNote { Id = Ids.NewVersion7(time.GetUtcNow()), ContactId = id, AgentId = agent.Id, AgentName = agent.DisplayName, Text = text, CreatedAt = time.GetUtcNow() };
        db.ContactNotes.Add(note);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/api/contacts/{id}/notes/{note.Id}", ToDto(note));
    }

    private static async Task<IResult> DeleteNoteAsync(Guid id, Guid noteId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        var note = await db.ContactNotes.FirstOrDefaultAsync(n => n.Id == noteId && contacts.Contains(n.ContactId), ct);
        if (note is null)
        {
            return Error(StatusCodes.Status404NotFound, "the contact has no such note");
        }

        if (note.AgentId != ApiEndpoints.AgentId(http) && !http.User.IsInRole(AgentRoles.Supervisor))
        {
            return Error(StatusCodes.Status403Forbidden, "only the note's author or a supervisor may delete it");
        }

        db.ContactNotes.Remove(note);
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    private static async Task<List<ContactNoteDto>> NotesAsync(GatewayDbContext db, List<Guid> contacts, CancellationToken ct)
    {
        var rows = await db.ContactNotes.AsNoTracking().Where(n => contacts.Contains(n.ContactId)).OrderByDescending(n => n.CreatedAt).Take(500).ToListAsync(ct);
        return [.. rows.Select(ToDto)];
    }

    private static ContactNoteDto ToDto(ContactNote n) => new(n.Id, n.Text, n.AgentId, n.AgentName, n.CreatedAt);

    // ---------------------------------------------------------------- past conversations
    private static async Task<IResult> ListConversationsAsync(
        Guid id, int? limit, string? before, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ChannelRegistry channels, CancellationToken ct)
    {
        if (limit is < 1 or > MaxConversations)
        {
            return Error(StatusCodes.Status400BadRequest, $"limit is 1 to {MaxConversations}");
        }

        DateTimeOffset? until = null;
        if (before is not null)
        {
            if (!ApiTime.TryParse(before, out var at))
            {
                return Error(StatusCodes.Status400BadRequest, $"before is a time with its offset, such as {ApiTime.Example}");
            }

            until = at;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        var query = db.Conversations.AsNoTracking().Where(c => contacts.Contains(c.ContactId));
        if (until is { } u)
        {
            query = query.Where(c => c.CreatedAt < u);
        }

        var rows = await query.OrderByDescending(c => c.CreatedAt).Take(limit ?? 20).ToListAsync(ct);
        var ids = rows.Select(c => c.Id).ToList();
        var agentIds = rows.Select(c => c.ClosedByAgentId ?? c.AssignedAgentId).OfType<Guid>().Distinct().ToList();
        var agents = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.DisplayName, ct);

        // The newest message each way: the customer's through their chain's head, ours through the conversation index.
        var heads = await db.InboundHeads.AsNoTracking().Where(h => ids.Contains(h.ConversationId)).Select(h => h.LastMessageId).ToListAsync(ct);
        var latest = (await db.Messages.AsNoTracking().Where(m => heads.Contains(m.Id)).ToListAsync(ct)).ToDictionary(m => m.ConversationId);
        foreach (var cid in ids)
        {
            var reply = await db.Messages.AsNoTracking()
                .Where(m => m.ConversationId == cid && m.Direction == MessageDirection.Out)
                .OrderByDescending(m => m.CreatedAt).FirstOrDefaultAsync(ct);
            if (reply is not null && (!latest.TryGetValue(cid, out var inbound) || reply.CreatedAt > inbound.CreatedAt))
            {
                latest[cid] = reply;
            }
        }

        return Results.Ok(rows.Select(c =>
        {
            var last = latest.GetValueOrDefault(c.Id);
            var agent = (c.ClosedByAgentId ?? c.AssignedAgentId) is { } a ? agents.GetValueOrDefault(a) : null;
            return new ContactConversationDto(
                c.Id, c.Status.ToString().ToLowerInvariant(), c.LastInstanceId, channels.ChannelTypeOf(c.LastInstanceId), c.Skill, c.CreatedAt, c.ClosedAt,
                agent, c.SurveyRating, last is null ? null : VisibleText.OneLine(last.Text, 120), last?.CreatedAt > c.LastMessageAt ? last.CreatedAt : c.LastMessageAt);
        }).ToList());
    }

    // ---------------------------------------------------------------- looking at
    private static readonly string[] ContextKinds = ["page", "product", "cart"];

    private static async Task<IResult> LookingAtAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ReachableAsync(db, http, id, ct) is not { } contacts)
        {
            return NoSuchContact();
        }

        // The widget tells a change only, so the newest of each kind is in the contact's latest conversations.
        var recent = await db.Conversations.AsNoTracking().Where(c => contacts.Contains(c.ContactId))
            .OrderByDescending(c => c.CreatedAt).Select(c => c.Id).Take(3).ToListAsync(ct);
        var rows = await db.MessageContents.AsNoTracking()
            .Where(x => recent.Contains(x.ConversationId) && x.OriginKind != null && ContextKinds.Contains(x.OriginKind))
            .Join(db.Messages, x => x.MessageId, m => m.Id, (x, m) => new { x.OriginKind, x.OriginReference, x.OriginUrl, x.OriginTitle, m.CreatedAt })
            .ToListAsync(ct);
        var newest = rows.OrderByDescending(r => r.CreatedAt).GroupBy(r => r.OriginKind!).ToDictionary(g => g.Key, g => g.First());
        OriginDto? Of(string kind) => newest.TryGetValue(kind, out var r) ? new OriginDto(kind, r.OriginReference, r.OriginUrl, r.OriginTitle) : null;
        DateTimeOffset? At(string kind) => newest.TryGetValue(kind, out var r) ? r.CreatedAt : null;
        return Results.Ok(new LookingAtDto(Of("page"), At("page"), Of("product"), At("product"), Of("cart"), At("cart")));
    }

    // ---------------------------------------------------------------- shared
    /// <summary>The contact and those merged into it, when the one asking may see it (a merged-away contact answers as unknown).</summary>
    private static async Task<List<Guid>?> ReachableAsync(GatewayDbContext db, HttpContext http, Guid id, CancellationToken ct)
    {
        if (!await db.Contacts.AsNoTracking().AnyAsync(c => c.Id == id && c.MergedIntoId == null, ct))
        {
            return null;
        }

        var contacts = await MergedContacts.WithMergedAsync(db, id, ct);
        if (http.User.IsInRole(AgentRoles.Supervisor))
        {
            return contacts;
        }

        var agent = ApiEndpoints.AgentId(http);
        return await db.Conversations.AnyAsync(c => contacts.Contains(c.ContactId) && (c.AssignedAgentId == agent || c.ClosedByAgentId == agent), ct) ? contacts : null;
    }

    private static IResult NoSuchContact() => Error(StatusCodes.Status404NotFound, "no such contact among yours");

    private static IResult Error(int status, string reason) => Results.Json(new ErrorDto(reason), statusCode: status);
}
