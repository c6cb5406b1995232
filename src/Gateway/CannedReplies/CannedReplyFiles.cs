using ChatGateway.Abstractions;
using ChatGateway.Gateway.Attachments;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>Which conversation a canned reply's files are copied for.</summary>
public sealed record CannedCopyRequest(Guid ConversationId);

/// <summary>
/// Files of canned replies (a size chart, a payment QR code, care instructions, a return-address label): uploaded like a
/// reply's file under the gateway's attachment limits and kept while a reply has them. They never go on a message
/// themselves: inserting the reply copies them into the agent's files for that conversation's reply, so each message has
/// files of its own and one customer's file is never another's.
/// </summary>
internal static class CannedReplyFiles
{
    public const int MaxFiles = 5;

    public static void MapCannedReplyFiles(this RouteGroupBuilder api)
    {
        // The bodies are read by the handlers, so that a wrong one gets 400 with the reason (like the neighbours' uploads).
        api.MapPost("/files", UploadAsync).DisableAntiforgery();
        api.MapPost("/{id:guid}/copies", CopyAsync);
    }

    /// <summary>
    /// A file for a canned reply (multipart/form-data, field <c>file</c>); <c>shared=true</c> for a shared reply (supervisors
    /// only). Named by id in the reply's <c>attachmentIds</c>; a file no reply takes is deleted after a day. Refused: too large
    /// (413), a type not taken (415), not a form (400), an agent's file for a shared reply (403).
    /// </summary>
    private static async Task<Results<Created<AttachmentDto>, BadRequest<ErrorDto>, JsonHttpResult<ErrorDto>, ForbidHttpResult, UnauthorizedHttpResult>> UploadAsync(
        bool? shared, HttpContext http, AttachmentService attachments, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        if (shared == true && agent.Role != AgentRoles.Supervisor)
        {
            return TypedResults.Forbid();
        }

        var limits = attachments.DeskLimits;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxBytes + 64 * 1024;
        }

        if (!http.Request.HasFormContentType)
        {
            return TypedResults.BadRequest(new ErrorDto("send the file as multipart/form-data in a field named 'file'"));
        }

        IFormFile? file;
        try
        {
            var form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limits.MaxBytes + 64 * 1024 }, ct);
            file = form.Files.GetFile("file");
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? TypedResults.Json(new ErrorDto($"the file is larger than {AttachmentService.Describe(limits.MaxBytes)}, the limit here"), statusCode: StatusCodes.Status413PayloadTooLarge)
                : TypedResults.BadRequest(new ErrorDto("the form could not be read: " + ex.Message));
        }

        if (file is null)
        {
            return TypedResults.BadRequest(new ErrorDto("no file: send it in a field named 'file'"));
        }

        try
        {
            await using var content = file.OpenReadStream();
            var saved = await attachments.SaveAsync(AttachmentService.CannedInstance, agent.Id, content, file.FileName, file.ContentType, limits, ct);
            return TypedResults.Created($"/api/attachments/{saved.Id}", saved.ToDto());
        }
        catch (AttachmentRejectedException ex)
        {
            return TypedResults.Json(new ErrorDto(ex.Message), statusCode: ex.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status415UnsupportedMediaType);
        }
    }

    /// <summary>
    /// Copies of a canned reply's files as the agent's own files for a reply in their open conversation: what the desk puts
    /// beside the inserted text, sent by naming them in the reply's <c>attachments</c> like any upload.
    /// </summary>
    private static async Task<Results<Created<List<AttachmentDto>>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> CopyAsync(
        Guid id, HttpContext http, AttachmentService attachments, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<CannedCopyRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        List<Attachment> originals;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == request.ConversationId && c.AssignedAgentId == agent.Id, ct);
            if (conversation is null)
            {
                return TypedResults.NotFound(new ErrorDto("no such conversation among yours"));
            }

            if (conversation.Status != ConversationStatus.Assigned)
            {
                return TypedResults.Conflict(new ErrorDto("the conversation is closed"));
            }

            var reply = await db.CannedReplies.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            if (reply is null || !MaySee(reply, agent, conversation.Skill))
            {
                return TypedResults.NotFound(new ErrorDto("no such canned reply among yours and the shared ones"));
            }

            originals = await FilesOfAsync(db, id, ct);
        }

        var copies = new List<AttachmentDto>();
        foreach (var original in originals)
        {
            var copy = await attachments.CopyAsync(original, agent.Id, ct);
            copies.Add(AttachmentService.ToContract(copy).ToDto());
        }

        return TypedResults.Created($"/api/conversations/{request.ConversationId}", copies);
    }

    /// <summary>Whether the agent is offered the reply: their own, or a shared one of every agent, of their skills or of the conversation's.</summary>
    public static bool MaySee(CannedReply reply, Agent agent, string? conversationSkill = null) =>
        reply.AgentId == agent.Id
        || (reply.AgentId is null && (agent.Role == AgentRoles.Supervisor || reply.Skill is null || agent.SkillList.Contains(reply.Skill) || reply.Skill == conversationSkill));

    /// <summary>Whether the agent may open a canned reply's file: a reply that has it is offered to them (the desk shows its pictures).</summary>
    public static async Task<bool> MayOpenAsync(GatewayDbContext db, Guid attachmentId, Guid agentId, CancellationToken ct)
    {
        var replyId = await db.CannedReplyAttachments.Where(l => l.AttachmentId == attachmentId).Select(l => (Guid?)l.CannedReplyId).FirstOrDefaultAsync(ct);
        if (replyId is null)
        {
            return false;
        }

        var reply = await db.CannedReplies.AsNoTracking().FirstOrDefaultAsync(r => r.Id == replyId, ct);
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == agentId, ct);
        return reply is not null && agent is not null && MaySee(reply, agent);
    }

    public static async Task<List<Attachment>> FilesOfAsync(GatewayDbContext db, Guid replyId, CancellationToken ct) =>
        await db.CannedReplyAttachments.Where(l => l.CannedReplyId == replyId).OrderBy(l => l.Position)
            .Join(db.Attachments, l => l.AttachmentId, a => a.Id, (l, a) => a).AsNoTracking().ToListAsync(ct);

    /// <summary>The files of these replies, by reply, in their order.</summary>
    public static async Task<Dictionary<Guid, List<AttachmentDto>>> FilesOfAsync(GatewayDbContext db, IReadOnlyCollection<Guid> replyIds, CancellationToken ct)
    {
        var rows = await db.CannedReplyAttachments.Where(l => replyIds.Contains(l.CannedReplyId))
            .Join(db.Attachments, l => l.AttachmentId, a => a.Id, (l, a) => new { l.CannedReplyId, l.Position, File = a }).AsNoTracking().ToListAsync(ct);
        return rows.GroupBy(r => r.CannedReplyId)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Position).Select(r => AttachmentService.ToContract(r.File).ToDto()).ToList());
    }

    /// <summary>
    /// What is wrong with the files a reply names, or null: at most <see cref="MaxFiles"/>, each a canned-reply file this agent
    /// uploaded that no other reply has, or one the reply has already.
    /// </summary>
    public static async Task<string?> ProblemAsync(GatewayDbContext db, IReadOnlyList<string>? ids, Guid agentId, Guid? self, CancellationToken ct)
    {
        if (ids is null || ids.Count == 0)
        {
            return null;
        }

        if (ids.Count > MaxFiles)
        {
            return $"a canned reply carries at most {MaxFiles} files; this one has {ids.Count}";
        }

        var parsed = new List<Guid>();
        foreach (var id in ids)
        {
            if (!AttachmentService.TryParseId(id, out var guid) || parsed.Contains(guid))
            {
                return $"attachmentIds: '{id}' is not the id of an uploaded file (or is given twice)";
            }

            parsed.Add(guid);
        }

        var files = await db.Attachments.AsNoTracking().Where(a => parsed.Contains(a.Id)).ToListAsync(ct);
        var links = await db.CannedReplyAttachments.AsNoTracking().Where(l => parsed.Contains(l.AttachmentId)).ToListAsync(ct);
        foreach (var id in parsed)
        {
            var file = files.FirstOrDefault(f => f.Id == id);
            var link = links.FirstOrDefault(l => l.AttachmentId == id);
            var ours = link is not null && link.CannedReplyId == self;
            if (file is null || file.InstanceId != AttachmentService.CannedInstance || (!ours && (link is not null || file.UploadedByAgentId != agentId)))
            {
                return $"attachmentIds: '{id:N}' is not a file you uploaded for canned replies (POST /api/canned-replies/files)";
            }
        }

        return null;
    }

    /// <summary>Gives the reply exactly these files, in this order (null: leaves its files as they are).</summary>
    public static async Task LinkAsync(GatewayDbContext db, Guid replyId, IReadOnlyList<string>? ids, CancellationToken ct)
    {
        if (ids is null)
        {
            return;
        }

        var wanted = ids.Select(i => Guid.Parse(i)).ToList();
        var current = await db.CannedReplyAttachments.Where(l => l.CannedReplyId == replyId).ToListAsync(ct);
        db.CannedReplyAttachments.RemoveRange(current.Where(l => !wanted.Contains(l.AttachmentId)));
        for (var i = 0; i < wanted.Count; i++)
        {
            if (current.FirstOrDefault(l => l.AttachmentId == wanted[i]) is { } kept)
            {
                kept.Position = i;
            }
            else
            {
                db.CannedReplyAttachments.Add(new CannedReplyAttachment { CannedReplyId = replyId, AttachmentId = wanted[i], Position = i });
            }
        }
    }
}
