using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat.Tests.Files;

/// <summary>
/// Test double of the gateway's <see cref="IAttachmentStore"/>, kept in memory: it refuses files as the real one does
/// (over <see cref="MaxBytes"/> while reading, empty, or of a type other than PNG, JPEG and PDF read from the bytes), and
/// opens a file for a customer only when a message of their latest conversation in the history carries it.
/// </summary>
internal sealed class FakeAttachmentStore(IConversationHistory history, long maxBytes = 64 * 1024) : IAttachmentStore
{
    private readonly ConcurrentDictionary<string, (MessageAttachment File, byte[] Bytes)> _files = new(StringComparer.Ordinal);

    public long MaxBytes { get; } = maxBytes;

    public IReadOnlyCollection<MessageAttachment> Saved => [.. _files.Values.Select(f => f.File)];

    public byte[] BytesOf(string id) => _files[id].Bytes;

    public async Task<MessageAttachment> SaveAsync(Stream content, string? fileName, string? declaredContentType, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            copy.Write(buffer, 0, read);
            if (copy.Length > MaxBytes)
            {
                throw new AttachmentRejectedException($"the file is larger than {MaxBytes} bytes, the limit here", tooLarge: true);
            }
        }

        var bytes = copy.ToArray();
        if (bytes.Length == 0)
        {
            throw new AttachmentRejectedException("the file is empty");
        }

        var type = bytes switch
        {
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
            [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
            [(byte)'%', (byte)'P', (byte)'D', (byte)'F', ..] => "application/pdf",
            _ => null,
        } ?? throw new AttachmentRejectedException("files of this kind are not accepted here");

        var file = new MessageAttachment
        {
            Id = Guid.NewGuid().ToString("N"),
            FileName = string.IsNullOrWhiteSpace(fileName) ? "file" : Path.GetFileName(fileName.Replace('\\', '/')),
            ContentType = type,
            Size = bytes.Length,
        };
        _files[file.Id] = (file, bytes);
        return file;
    }

    public Task<Stream?> OpenReadAsync(string attachmentId, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(_files.TryGetValue(attachmentId, out var found) ? new MemoryStream(found.Bytes, writable: false) : null);

    public async Task<(MessageAttachment Attachment, Stream Content)?> OpenForCustomerAsync(string externalId, string attachmentId, CancellationToken cancellationToken)
    {
        var latest = await history.GetLatestAsync(externalId, cancellationToken);
        if (latest is null || !latest.Messages.Any(m => m.Attachments?.Any(a => a.Id == attachmentId) == true) || !_files.TryGetValue(attachmentId, out var found))
        {
            return null;
        }

        return (found.File, new MemoryStream(found.Bytes, writable: false));
    }
}
