using System.Security.Cryptography;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Attachments;

/// <summary>What one sender may store: the largest file and the types taken.</summary>
internal sealed record AttachmentLimits(long MaxBytes, IReadOnlySet<string> Allowed);

/// <summary>
/// Files of messages: received (size counted as the bytes arrive, type read from them, SHA-256 kept), stored in the
/// <see cref="IBlobStore"/> under a random id with a row in the store, and opened again only for whom may see them
/// (the callers check: the agent of the conversation, the customer whose history holds the message).
/// </summary>
internal sealed partial class AttachmentService(
    IBlobStore blobs,
    IDbContextFactory<GatewayDbContext> dbFactory,
    IOptions<AttachmentOptions> options,
    TimeProvider time,
    ILogger<AttachmentService> logger)
{
    /// <summary>The instance id of the files agents upload from the desk.</summary>
    public const string DeskInstance = "desk";

    /// <summary>The instance id of the files of canned replies: never sent as they are, a reply carries a copy (<see cref="CopyAsync"/>).</summary>
    public const string CannedInstance = "canned";

    /// <summary>The gateway's own limits, for agents' uploads.</summary>
    public AttachmentLimits DeskLimits => new(options.Value.MaxBytes, options.Value.Allowed);

    /// <summary>A channel instance's limits: the gateway's, lowered by the plugin's largest file and the instance's own settings.</summary>
    public AttachmentLimits LimitsFor(IChannelPlugin plugin, IConfiguration settings)
    {
        var max = options.Value.MaxBytes;
        if (plugin.MaxAttachmentBytes > 0)
        {
            max = Math.Min(max, plugin.MaxAttachmentBytes);
        }

        if (settings.GetValue<long?>("Attachments:MaxBytes") is > 0 and var own)
        {
            max = Math.Min(max, own);
        }

        var allowed = options.Value.Allowed;
        var narrowed = settings.GetSection("Attachments:AllowedTypes").Get<string[]>();
        if (narrowed is { Length: > 0 })
        {
            allowed = allowed.Intersect(narrowed, StringComparer.OrdinalIgnoreCase).ToHashSet(StringComparer.OrdinalIgnoreCase);
        }

        return new AttachmentLimits(plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments) || plugin.Capabilities.HasFlag(ChannelCapabilities.ReceiveAttachments) || plugin.MaxAttachmentBytes > 0 ? max : 0, allowed);
    }

    public async Task<MessageAttachment> SaveAsync(
        string instanceId, Guid? agentId, Stream content, string? fileName, string? declaredContentType, AttachmentLimits limits, CancellationToken cancellationToken)
    {
        if (limits.MaxBytes <= 0)
        {
            throw new AttachmentRejectedException("this channel does not take files");
        }

        var id = Guid.NewGuid();
        var key = id.ToString("N");
        var temporary = Path.Combine(blobs.TemporaryFolder, key);
        var head = new byte[ContentSniffer.HeadLength];
        var headLength = 0;
        long size = 0;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > limits.MaxBytes)
                    {
                        throw new AttachmentRejectedException($"the file is larger than {Describe(limits.MaxBytes)}, the limit here", tooLarge: true);
                    }

                    if (headLength < head.Length)
                    {
                        var take = Math.Min(read, head.Length - headLength);
                        buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                        headLength += take;
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            if (size == 0)
            {
                throw new AttachmentRejectedException("the file is empty");
            }

            var name = CleanFileName(fileName);
            var type = ContentSniffer.Detect(head.AsSpan(0, headLength), name, declaredContentType);
            if (!limits.Allowed.Contains(type))
            {
                throw new AttachmentRejectedException(type == ContentSniffer.Unknown
                    ? "files of this kind are not accepted here (its content is not a known picture, document, audio or video type)"
                    : $"files of type {type} are not accepted here");
            }

            if (name is null)
            {
                name = "file" + ExtensionOf(type);
            }

            await blobs.PutFileAsync(key, temporary, cancellationToken);
            var row = new Attachment
            {
                Id = id,
                InstanceId = instanceId,
                UploadedByAgentId = agentId,
                FileName = name,
                ContentType = type,
                Size = size,
                Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
                CreatedAt = time.GetUtcNow(),
            };
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                db.Attachments.Add(row);
                await db.SaveChangesAsync(cancellationToken);
            }
            catch
            {
                await blobs.DeleteAsync(key, CancellationToken.None);
                throw;
            }

            LogSaved(logger, instanceId, id, size);
            return ToContract(row);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// A copy of a stored file under a new id (an agent's, not yet on a message): what a failed reply sent again on another
    /// channel carries, so that each message has files of its own.
    /// </summary>
    public async Task<Attachment> CopyAsync(Attachment original, Guid agentId, CancellationToken cancellationToken)
    {
        var copy = new Attachment
        {
            Id = Guid.NewGuid(),
            InstanceId = DeskInstance,
            UploadedByAgentId = agentId,
            FileName = original.FileName,
            ContentType = original.ContentType,
            Size = original.Size,
            Sha256 = original.Sha256,
            ContentId = original.ContentId,
            CreatedAt = time.GetUtcNow(),
        };
        var temporary = Path.Combine(blobs.TemporaryFolder, copy.Id.ToString("N"));
        try
        {
            await using (var source = await blobs.OpenReadAsync(original.Id.ToString("N"), cancellationToken)
                ?? throw new InvalidOperationException($"The bytes of file {original.Id} are gone."))
            await using (var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await source.CopyToAsync(target, cancellationToken);
            }

            await blobs.PutFileAsync(copy.Id.ToString("N"), temporary, cancellationToken);
        }
        finally
        {
            File.Delete(temporary);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Attachments.Add(copy);
        await db.SaveChangesAsync(cancellationToken);
        return copy;
    }

    /// <summary>The bytes of a stored file, or null when they are gone.</summary>
    public Task<Stream?> OpenContentAsync(Attachment row, CancellationToken cancellationToken) =>
        blobs.OpenReadAsync(row.Id.ToString("N"), cancellationToken);

    public async Task<Attachment?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Attachments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
    }

    /// <summary>The files of these messages, by message, in the order they were saved.</summary>
    public static async Task<Dictionary<Guid, List<Attachment>>> OfMessagesAsync(GatewayDbContext db, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return [];
        }

        var rows = await db.Attachments.AsNoTracking()
            .Where(a => a.MessageId != null && messageIds.Contains(a.MessageId.Value))
            .ToListAsync(cancellationToken);
        return rows.OrderBy(a => a.CreatedAt).GroupBy(a => a.MessageId!.Value).ToDictionary(g => g.Key, g => g.ToList());
    }

    /// <summary>Deletes files no message took within <see cref="AttachmentOptions.UnclaimedLifetime"/>, a page at a time; returns how many.</summary>
    public async Task<int> DeleteUnclaimedAsync(CancellationToken cancellationToken)
    {
        const int Page = 500;
        var before = time.GetUtcNow() - options.Value.UnclaimedLifetime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var total = 0;
        List<Guid> ids;
        do
        {
            // A canned reply's file is kept while the reply has it.
            ids = await db.Attachments.Where(a => a.MessageId == null && a.ContactId == null && a.CreatedAt < before && !db.CannedReplyAttachments.Any(l => l.AttachmentId == a.Id))
                .OrderBy(a => a.CreatedAt).Select(a => a.Id).Take(Page).ToListAsync(cancellationToken);
            foreach (var id in ids)
            {
                // The row first: a file whose row is gone is never served, a row whose file is gone would be.
                if (await db.Attachments.Where(a => a.Id == id && a.MessageId == null && a.ContactId == null && !db.CannedReplyAttachments.Any(l => l.AttachmentId == a.Id))
                    .ExecuteDeleteAsync(cancellationToken) == 1)
                {
                    await blobs.DeleteAsync(id.ToString("N"), cancellationToken);
                    total++;
                }
            }
        }
        while (ids.Count == Page);

        return total;
    }

    public static MessageAttachment ToContract(Attachment row) => new()
    {
        Id = row.Id.ToString("N"),
        FileName = row.FileName,
        ContentType = row.ContentType,
        Size = row.Size,
        ContentId = row.ContentId,
    };

    /// <summary>Parses an id as given to channels and agents (32 hex digits, or a GUID in any standard form).</summary>
    public static bool TryParseId(string? value, out Guid id) => Guid.TryParse(value, out id);

    /// <summary>The name without folders, control characters or characters file systems refuse; null when nothing is left.</summary>
    public static string? CleanFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var last = name.Replace('\\', '/');
        last = last[(last.LastIndexOf('/') + 1)..];
        // No control characters, nothing file systems refuse, and no format characters (a right-to-left override makes
        // "invoice\u202Efdp.exe" look like "invoiceexe.pdf").
        var cleaned = new string(last.Where(c => !char.IsControl(c) && c is not ('"' or '<' or '>' or '|' or ':' or '*' or '?')
            && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format).ToArray()).Trim().Trim('.');
        if (cleaned.Length == 0)
        {
            return null;
        }

        if (cleaned.Length > 200)
        {
            var extension = Path.GetExtension(cleaned);
            cleaned = cleaned[..(200 - Math.Min(extension.Length, 20))] + (extension.Length <= 20 ? extension : "");
        }

        return cleaned;
    }

    public static string Describe(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024):0.#} MB"
        : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} bytes";

    private static string ExtensionOf(string type) => type switch
    {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "image/heic" => ".heic",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "audio/mpeg" => ".mp3",
        "audio/amr" => ".amr",
        "video/mp4" => ".mp4",
        _ => "",
    };

    [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Stored file {AttachmentId} ({Size} bytes) from {InstanceId}")]
    private static partial void LogSaved(ILogger logger, string instanceId, Guid attachmentId, long size);
}

/// <summary>Deletes, every hour, the files no message took (uploads whose message never came).</summary>
internal sealed partial class AttachmentCleanupService(AttachmentService attachments, ILogger<AttachmentCleanupService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(TimeProvider.System, TimeSpan.FromHours(1), CleanAsync, ex => LogFailed(logger, ex), stoppingToken);

    private async Task CleanAsync(CancellationToken cancellationToken)
    {
        var deleted = await attachments.DeleteUnclaimedAsync(cancellationToken);
        if (deleted > 0)
        {
            LogDeleted(logger, deleted);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Deleted {Count} files no message took")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Deleting files no message took failed; trying again in an hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
