using ChatGateway.Abstractions;
using ChatGateway.Gateway.Attachments;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Files on the desk: an agent uploads one for a reply, and opens the files of the conversations they may see. A file is
/// served to a supervisor, to the agent who uploaded it, and to the agent of a conversation of its customer (the desk shows
/// a customer's history across their conversations); to nobody else, whatever id they try (404, the same as an unknown
/// id). Served with the type read from its bytes, never sniffed by the browser, pictures inline and everything else as a
/// download, in a sandbox that runs nothing.
/// </summary>
internal static class AttachmentEndpoints
{
    public static void MapAttachmentApi(this RouteGroupBuilder agent)
    {
        agent.MapGet("/attachments/{id}", OpenAsync);
        agent.MapPost("/conversations/{id:guid}/attachments", UploadAsync).DisableAntiforgery();
    }

    private static async Task<IResult> OpenAsync(string id, HttpContext http, AttachmentService attachments, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var notFound = TypedResults.NotFound(new ErrorDto("no such file among yours"));
        if (!AttachmentService.TryParseId(id, out var attachmentId) || await attachments.FindAsync(attachmentId, ct) is not { } row)
        {
            return notFound;
        }

        var agentId = ApiEndpoints.AgentId(http);
        if (!http.User.IsInRole(AgentRoles.Supervisor) && row.UploadedByAgentId != agentId && !await MaySeeAsync(dbFactory, row, agentId, ct))
        {
            return notFound;
        }

        if (await attachments.OpenContentAsync(row, ct) is not { } content)
        {
            return notFound;
        }

        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.CacheControl = "private, max-age=3600";
        var disposition = new ContentDispositionHeaderValue(ContentSniffer.IsInlineImage(row.ContentType) ? "inline" : "attachment");
        disposition.SetHttpFileName(row.FileName);
        headers.ContentDisposition = disposition.ToString();
        return TypedResults.Stream(content, row.ContentType, enableRangeProcessing: true);
    }

    /// <summary>The agent has a conversation of the file's customer (open, or the file's own).</summary>
    private static async Task<bool> MaySeeAsync(IDbContextFactory<GatewayDbContext> dbFactory, Attachment row, Guid agentId, CancellationToken ct)
    {
        if (row.ContactId is { } owner)
        {
            // A contact's picture: to the agents of the contact's conversations (the same rule for their files).
            await using var ownerDb = await dbFactory.CreateDbContextAsync(ct);
            return await ownerDb.Conversations.AnyAsync(c => c.ContactId == owner && c.AssignedAgentId == agentId, ct);
        }

        if (row.InstanceId == AttachmentService.CannedInstance)
        {
            // A canned reply's file: to the agents the reply is offered to.
            await using var cannedDb = await dbFactory.CreateDbContextAsync(ct);
            return await CannedReplies.CannedReplyFiles.MayOpenAsync(cannedDb, row.Id, agentId, ct);
        }

        if (row.ConversationId is not { } conversationId)
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var contactId = await db.Conversations.Where(c => c.Id == conversationId).Select(c => (Guid?)c.ContactId).FirstOrDefaultAsync(ct);
        return contactId is not null && await db.Conversations.AnyAsync(
            c => c.ContactId == contactId && c.AssignedAgentId == agentId && (c.Status == ConversationStatus.Assigned || c.Id == conversationId), ct);
    }

    /// <summary>
    /// An agent's file for a reply in their conversation (multipart/form-data, field <c>file</c>); sent with the reply
    /// that names its id. Refused with a reason: too large (413), of a type not taken (415), not a form (400).
    /// </summary>
    private static async Task<Results<Created<AttachmentDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, JsonHttpResult<ErrorDto>, UnauthorizedHttpResult>> UploadAsync(
        Guid id, HttpContext http, AttachmentService attachments, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.AssignedAgentId == agent.Id, ct);
            if (conversation is null)
            {
                return TypedResults.NotFound(new ErrorDto("no such conversation among yours"));
            }

            if (conversation.Status != ConversationStatus.Assigned)
            {
                return TypedResults.Conflict(new ErrorDto("the conversation is closed"));
            }
        }

        var limits = attachments.DeskLimits;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // The file and the form around it; the store stops at the file's own limit.
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
            return TooLarge(ex) ? TypedResults.Json(new ErrorDto($"the file is larger than {AttachmentService.Describe(limits.MaxBytes)}, the limit here"), statusCode: StatusCodes.Status413PayloadTooLarge)
                : TypedResults.BadRequest(new ErrorDto("the form could not be read: " + ex.Message));
        }

        if (file is null)
        {
            return TypedResults.BadRequest(new ErrorDto("no file: send it in a field named 'file'"));
        }

        try
        {
            await using var content = file.OpenReadStream();
            var saved = await attachments.SaveAsync(AttachmentService.DeskInstance, agent.Id, content, file.FileName, file.ContentType, limits, ct);
            return TypedResults.Created($"/api/attachments/{saved.Id}", saved.ToDto());
        }
        catch (AttachmentRejectedException ex)
        {
            return TypedResults.Json(new ErrorDto(ex.Message), statusCode: ex.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status415UnsupportedMediaType);
        }
    }

    private static bool TooLarge(Exception ex) =>
        ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
}
