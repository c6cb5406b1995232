using System.Text;

using ChatGateway.Plugins.Email.Inbound;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;

using MimeKit;

namespace ChatGateway.Plugins.Email.Tests;

/// <summary>The processor on mail no server needs to carry: a 50 MB file, bytes that are no MIME at all.</summary>
public sealed class InboundEmailProcessorTests
{
    [Fact]
    public async Task ProcessAsync_A50MbAttachment_KeepsTheMailWithALineSayingTheFileWasTooLarge()
    {
        var ct = TestContext.Current.CancellationToken;
        using var store = new TempFolderAttachmentStore(maxBytes: EmailChannelPlugin.MaxFileBytes);
        await using var container = ChannelInstanceContainer.Build(new EmailChannelPlugin(), EmailTestInstance.Id, EmailTestInstance.OfflineSettings(), attachments: store);
        var processor = container.Services.GetRequiredService<InboundEmailProcessor>();

        var body = new BodyBuilder { TextBody = "The video of the broken parcel." };
        body.Attachments.Add("parcel.mp4", new byte[50 * 1024 * 1024], new ContentType("video", "mp4"));
        var mail = EmailTestInstance.CustomerMail("buyer@buyer.test", "shop@shop.test", "broken parcel", "");
        mail.Body = body.ToMessageBody();
        var path = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(path))
            {
                await mail.WriteToAsync(file, ct);
            }

            await using var raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
            var outcome = await processor.ProcessAsync(raw, ct);

            Assert.Equal(EmailOutcomeKind.Accepted, outcome.Kind);
            var message = Assert.Single(container.Inbound.Accepted);
            Assert.Null(message.Attachments);
            Assert.Equal("The video of the broken parcel.\n\n[The attachment \"parcel.mp4\" was not kept: larger than 25 MB.]", message.Text);
            Assert.Equal(("file", "parcel.mp4 (video/mp4): larger than 25 MB"), (message.Unsupported?.Kind, message.Unsupported?.Summary));
            Assert.Empty(store.Saved);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ProcessAsync_BinaryGarbageOrNothing_IsSkippedWithoutThrowing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var container = ChannelInstanceContainer.Build(new EmailChannelPlugin(), EmailTestInstance.Id, EmailTestInstance.OfflineSettings());
        var processor = container.Services.GetRequiredService<InboundEmailProcessor>();
        var random = new Random(7);
        var garbage = new byte[64 * 1024];
        random.NextBytes(garbage);

        var outcome = await processor.ProcessAsync(new MemoryStream(garbage), ct);
        var empty = await processor.ProcessAsync(new MemoryStream(Encoding.ASCII.GetBytes("\r\n\r\n")), ct);

        Assert.Equal(EmailOutcomeKind.Skipped, outcome.Kind);
        Assert.StartsWith("raw-sha256:", outcome.ProviderMessageId, StringComparison.Ordinal);
        Assert.Equal(EmailOutcomeKind.Skipped, empty.Kind);
        Assert.Empty(container.Inbound.Accepted);
    }
}
