using System.Collections.Concurrent;
using System.Security.Cryptography;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.Sms.Tests.Fakes;

/// <summary>
/// TEST DOUBLE of the gateway's <see cref="IAttachmentStore"/>, not the real one: files in a temporary folder, checked as
/// the real store checks them (at most <see cref="MaxBytes"/>, read only that far; empty refused; the type read from the
/// bytes where they tell it, else the declared one; types refused by <see cref="AcceptType"/>), and nothing kept of a
/// refused file. It knows no conversations, so <see cref="OpenForCustomerAsync"/> finds nothing.
/// </summary>
internal sealed class TempFolderAttachmentStore : IAttachmentStore, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sms-tests-attachments-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, MessageAttachment> _saved = new(StringComparer.Ordinal);
    private int _saveCalls;

    public TempFolderAttachmentStore(long maxBytes = 5 * 1024 * 1024, Func<string, bool>? acceptType = null)
    {
        MaxBytes = maxBytes;
        AcceptType = acceptType ?? (_ => true);
        Directory.CreateDirectory(_folder);
    }

    public long MaxBytes { get; }

    /// <summary>Whether a content type (as read from the bytes) is taken; everything by default.</summary>
    public Func<string, bool> AcceptType { get; set; }

    /// <summary>The files kept, in no particular order.</summary>
    public IReadOnlyCollection<MessageAttachment> Saved => [.. _saved.Values];

    /// <summary>How often <see cref="SaveAsync"/> was called, refused files included.</summary>
    public int SaveCalls => _saveCalls;

    /// <summary>The files on disk: a refused file must leave none.</summary>
    public int FilesOnDisk => Directory.GetFiles(_folder).Length;

    public async Task<MessageAttachment> SaveAsync(Stream content, string? fileName, string? declaredContentType, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _saveCalls);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = Path.Combine(_folder, id);
        long size = 0;
        var head = new byte[8];
        var headLength = 0;
        try
        {
            await using (var file = File.Create(path))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > MaxBytes)
                    {
                        throw new AttachmentRejectedException($"larger than {MaxBytes / (1024.0 * 1024):0.#} MB", tooLarge: true);
                    }

                    var toHead = Math.Min(read, head.Length - headLength);
                    Array.Copy(buffer, 0, head, headLength, toHead);
                    headLength += toHead;
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            if (size == 0)
            {
                throw new AttachmentRejectedException("the file is empty");
            }

            var type = Sniff(head.AsSpan(0, headLength)) ?? declaredContentType ?? "application/octet-stream";
            if (!AcceptType(type))
            {
                throw new AttachmentRejectedException($"type {type} is not accepted");
            }

            var attachment = new MessageAttachment
            {
                Id = id,
                FileName = Path.GetFileName(fileName ?? "file"),
                ContentType = type,
                Size = size,
            };
            _saved[id] = attachment;
            return attachment;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Stores a file for an agent's message, as the gateway would before it hands the message to the channel.</summary>
    public Task<MessageAttachment> AddAsync(byte[] content, string fileName, string contentType) =>
        SaveAsync(new MemoryStream(content), fileName, contentType, CancellationToken.None);

    /// <summary>The bytes kept for an id.</summary>
    public byte[] ReadAll(string attachmentId) => File.ReadAllBytes(Path.Combine(_folder, attachmentId));

    public Task<Stream?> OpenReadAsync(string attachmentId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_folder, attachmentId);
        return Task.FromResult<Stream?>(_saved.ContainsKey(attachmentId) ? File.OpenRead(path) : null);
    }

    public Task<(MessageAttachment Attachment, Stream Content)?> OpenForCustomerAsync(string externalId, string attachmentId, CancellationToken cancellationToken) =>
        Task.FromResult<(MessageAttachment, Stream)?>(null);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A stream still open on some platform: the temp folder is cleaned by the OS.
        }
    }

    private static string? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0x89, 0x50, 0x4E, 0x47, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x47, 0x49, 0x46, 0x38, ..] => "image/gif",
        [0x25, 0x50, 0x44, 0x46, ..] => "application/pdf",
        _ => null,
    };
}
