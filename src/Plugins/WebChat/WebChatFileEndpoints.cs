using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// Files in the web chat: the visitor uploads one (then names it in a message with its receipt), and opens the files of
/// their conversation (their own, the agent's) through this plugin only, by token header or by a signed link.
/// </summary>
internal static partial class WebChatEndpoints
{
    /// <summary>Room for the multipart boundary and the part's headers around the file.</summary>
    internal const long FormOverhead = 16 * 1024;

    private static readonly HashSet<string> InlineTypes = new(StringComparer.OrdinalIgnoreCase) { "image/jpeg", "image/png", "image/gif", "image/webp" };

    private static void MapFiles(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("files", (Delegate)UploadAsync);
        endpoints.MapGet("files/{attachmentId}", (Delegate)OpenFileAsync);
    }

    /// <summary>
    /// A visitor's file (multipart/form-data, field <c>file</c>), streamed into the gateway's store, which types it from
    /// its bytes and holds it to the instance's limits. 201 with the file, its link and its receipt; 413 too large, 415 a
    /// type not taken, 400 not a form or an empty file, 429 over the flood limit, 401 without a valid token.
    /// </summary>
    private static async Task<IResult> UploadAsync(HttpContext http)
    {
        if (!TryVisitor(http, out var visitor, out var error))
        {
            return error;
        }

        var store = http.RequestServices.GetService<IAttachmentStore>();
        if (store is null || store.MaxBytes <= 0)
        {
            return Error(StatusCodes.Status404NotFound, "this chat does not take files");
        }

        var limit = store.MaxBytes + FormOverhead;
        var tooLarge = $"the file is larger than {Describe(store.MaxBytes)}, the limit here";
        if (http.Request.ContentLength > limit)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
        }

        // Kestrel stops the body here, before anything is read: the store's own count stops at the file's limit.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        if (http.RequestServices.GetRequiredService<FloodLimits>().Upload(http.Connection.RemoteIpAddress) is { } wait)
        {
            return TooMany(http, wait, "too many files from this address; try again later");
        }

        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary) is not { Length: > 0 and <= 200 } boundary)
        {
            return Error(StatusCodes.Status400BadRequest, "send the file as multipart/form-data in a field named 'file'");
        }

        try
        {
            var reader = new MultipartReader(boundary.ToString(), http.Request.Body) { HeadersLengthLimit = (int)FormOverhead / 2 };
            while (await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.IsFileDisposition() || !string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).ToString(), "file", StringComparison.Ordinal))
                {
                    continue; // another field: the reader skips its body
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                var counted = new CountingStream(section.Body);
                MessageAttachment saved;
                try
                {
                    saved = await store.SaveAsync(counted, name, section.ContentType, http.RequestAborted);
                }
                catch (AttachmentRejectedException ex)
                {
                    return Error(
                        ex.TooLarge ? StatusCodes.Status413PayloadTooLarge : counted.Count == 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status415UnsupportedMediaType,
                        ex.Message);
                }

                var links = http.RequestServices.GetRequiredService<VisitorFileLinks>();
                return Results.Json(
                    new UploadedFile(saved.Id, saved.FileName, saved.ContentType, saved.Size, links.Link(saved.Id, visitor.ExternalId), links.Receipt(saved, visitor.ExternalId)),
                    WebChatJson.Default.UploadedFile,
                    statusCode: StatusCodes.Status201Created);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
        }
        catch (InvalidDataException ex)
        {
            return Error(StatusCodes.Status400BadRequest, "the form could not be read: " + ex.Message);
        }

        return Error(StatusCodes.Status400BadRequest, "no file: send it in a field named 'file'");
    }

    /// <summary>
    /// A file of the visitor's conversations, for the visitor named by the token header or by a signed link
    /// (<see cref="VisitorFileLinks"/>); 404 for anything else, the same as for an unknown id.
    /// </summary>
    private static async Task<IResult> OpenFileAsync(HttpContext http, string attachmentId)
    {
        var notFound = Error(StatusCodes.Status404NotFound, "no such file");
        string visitorId;
        var query = http.Request.Query;
        if (http.Request.Headers[VisitorTokens.Header].Count > 0)
        {
            if (!TryVisitor(http, out var visitor, out var error))
            {
                return error;
            }

            visitorId = visitor.ExternalId;
        }
        else if (query["sig"].Count > 0)
        {
            var links = http.RequestServices.GetRequiredService<VisitorFileLinks>();
            if (!links.IsValidLink(attachmentId, query["v"], query["exp"], query["sig"]))
            {
                return notFound;
            }

            visitorId = query["v"].ToString();
        }
        else
        {
            return Error(StatusCodes.Status401Unauthorized, $"a valid visitor token ({VisitorTokens.Header} header) or a signed link is required");
        }

        var store = http.RequestServices.GetService<IAttachmentStore>();
        if (store is null || await store.OpenForCustomerAsync(visitorId, attachmentId, http.RequestAborted) is not { } found)
        {
            return notFound;
        }

        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.CacheControl = "private, max-age=3600";
        var disposition = new ContentDispositionHeaderValue(InlineTypes.Contains(found.Attachment.ContentType) ? "inline" : "attachment");
        disposition.SetHttpFileName(found.Attachment.FileName);
        headers.ContentDisposition = disposition.ToString();
        return Results.Stream(found.Content, found.Attachment.ContentType, enableRangeProcessing: found.Content.CanSeek);
    }

    /// <summary>The files a visitor names in a message: each with the receipt of their own upload; null and a reason otherwise.</summary>
    private static (List<MessageAttachment>? Files, string? Refused) VisitorsFiles(HttpContext http, string visitorId, IReadOnlyList<AttachmentReference?>? given, int max)
    {
        if (given is not { Count: > 0 })
        {
            return ([], null);
        }

        if (given.Count > max)
        {
            return (null, $"a message carries at most {max} files; this one names {given.Count}");
        }

        var links = http.RequestServices.GetRequiredService<VisitorFileLinks>();
        var files = new List<MessageAttachment>(given.Count);
        foreach (var reference in given)
        {
            if (links.ReadReceipt(reference?.Id, visitorId, reference?.Receipt) is not { } file)
            {
                return (null, $"attachment {Shorten(reference?.Id)} was not uploaded in this chat, or more than a day ago: upload it again (POST files)");
            }

            if (files.Any(f => f.Id == file.Id))
            {
                return (null, $"attachment {Shorten(file.Id)} is named twice");
            }

            files.Add(file);
        }

        return (files, null);
    }

    private static string Shorten(string? id) => id is null ? "(no id)" : id.Length <= 40 ? $"'{id}'" : $"'{id[..40]}…'";

    private static string Describe(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024):0.#} MB"
        : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} bytes";

    /// <summary>Counts what the store read, to tell an empty file (400) from one of a refused type (415).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Count += read;
            return read;
        }
    }
}
