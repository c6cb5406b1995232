using System.IO.Compression;
using System.Text;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>
/// The desk with rich messages, in a real browser: a customer's email (subject, HTML with a quote, an inline picture,
/// a PDF, and markup that would run script if anything let it) as the agent reads it, the agent's files going out
/// with a reply, and the reasons the gateway gives when a file is too large or the reply's channel carries none.
/// </summary>
public sealed class DeskRichMessagesBrowserTests
{
    private const string Subject = "关于订单 #1001 的退货";

    private static readonly byte[] Receipt = Encoding.ASCII.GetBytes("%PDF-1.4\n% receipt for order 1001\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

    [Fact]
    public async Task CustomersEmail_ShowsSubjectPictureQuoteAndPdf_RunsNothing_AndTheAgentsReplyCarriesTheirFile()
    {
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:MaxBytes"] = "102400" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var context = await browser.NewContextAsync(new() { BaseURL = channel.Host.BaseAddress.ToString(), AcceptDownloads = true, ViewportSize = new() { Width = 1400, Height = 900 } });
        var desk = await context.NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "bob"); // a return is after-sale work
        var title = await desk.TitleAsync();

        // The customer's email: HTML with a quoted earlier mail, a cid: picture, a PDF, and markup that would run script.
        var photo = Picture(160, 100);
        const string html = """
            <p>您好, the parcel for order <b>#1001</b> arrived broken, see the photo:</p>
            <p><img src="cid:photo1@buyer.test" alt="broken box"></p>
            <img src=x onerror="document.title='pwned';window.top.__pwned=1"><script>document.title='pwned';window.top.__pwned=1</script>
            <p>Please send a return label. <a href="https://shop.example.com/orders/1001">My order</a></p>
            <div class="gmail_quote"><div class="gmail_attr">On Mon, 1 Dec 2025 at 10:00, Shop &lt;shop@example.com&gt; wrote:</div>
            <blockquote class="gmail_quote">Your order #1001 has shipped with SF Express.</blockquote></div>
            """;
        await channel.SendAsync(new
        {
            id = "m1@buyer.test", from = "buyer@buyer.test", subject = Subject, html,
            text = "您好, the parcel for order #1001 arrived broken, see the photo.\nPlease send a return label.\n\nOn Mon, 1 Dec 2025 at 10:00, Shop <shop@example.com> wrote:\n> Your order #1001 has shipped with SF Express.",
            files = new[] { RichChannel.File("photo.png", "image/png", photo, "<photo1@buyer.test>"), RichChannel.File("receipt.pdf", "application/pdf", Receipt) },
        });

        // The list shows the subject; the thread shows it on top and on the message.
        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await Expect(conversation.GetByTestId("desk-conversation-subject")).ToHaveTextAsync(Subject);
        var listed = await (await desk.APIRequest.GetAsync("/api/conversations")).JsonAsync();
        Assert.Equal(Subject, listed!.Value[0].GetProperty("subject").GetString()); // also after a reload, before a conversation is opened
        await conversation.ClickAsync();
        await Expect(desk.GetByTestId("desk-thread-subject")).ToHaveTextAsync(Subject);
        var message = desk.Locator("[data-testid=desk-message][data-direction=in]");
        await Expect(message.GetByTestId("desk-message-subject")).ToHaveTextAsync(Subject);

        // The HTML in its frame: the text, the picture loaded, the quote folded until asked for.
        var frame = desk.FrameLocator("[data-testid=desk-message-frame]");
        await Expect(frame.Locator("b")).ToHaveTextAsync("#1001");
        var inFrame = frame.Locator("img[alt='broken box']");
        await Expect(inFrame).ToBeVisibleAsync();
        await WaitForAsync(() => inFrame.EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0"), w => w == 160, "the picture in the email loads");
        Assert.Equal("allow-popups allow-popups-to-escape-sandbox", await message.GetByTestId("desk-message-frame").GetAttributeAsync("sandbox"));
        Assert.Equal("_blank", await frame.Locator("a[href='https://shop.example.com/orders/1001']").GetAttributeAsync("target"));
        var quoted = frame.Locator("blockquote");
        await Expect(quoted).ToBeHiddenAsync();

        // "Show all" makes room for the quote; opened, it is there.
        var folded = (await message.GetByTestId("desk-message-frame").BoundingBoxAsync())!.Height;
        await message.GetByTestId("desk-message-expand").ClickAsync();
        await Expect(message.GetByTestId("desk-message-html")).ToHaveAttributeAsync("data-expanded", "true");
        Assert.True((await message.GetByTestId("desk-message-frame").BoundingBoxAsync())!.Height > folded + 20, "the frame grows for the quote");
        await frame.GetByText("Show quoted text").ClickAsync();
        await Expect(quoted).ToBeVisibleAsync();
        await Expect(quoted).ToContainTextAsync("has shipped with SF Express");

        // The files: the picture as a thumbnail that opens larger, the PDF as a download of the same bytes.
        var thumbnail = message.GetByTestId("desk-attachment-image");
        await Expect(thumbnail).ToHaveCountAsync(1);
        await WaitForAsync(() => thumbnail.Locator("img").EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0"), w => w == 160, "the thumbnail loads");
        await thumbnail.ClickAsync();
        var lightbox = desk.GetByTestId("desk-lightbox");
        await Expect(lightbox).ToBeVisibleAsync();
        await WaitForAsync(() => desk.GetByTestId("desk-lightbox-image").EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0"), w => w == 160, "the larger picture loads");
        if (Environment.GetEnvironmentVariable("DESK_SCREENSHOT") is { Length: > 0 } lightboxShot)
        {
            await desk.ScreenshotAsync(new() { Path = Path.ChangeExtension(lightboxShot, ".lightbox.png") });
        }

        await desk.Keyboard.PressAsync("Escape");
        await Expect(lightbox).ToBeHiddenAsync();
        await thumbnail.ClickAsync();
        await desk.GetByTestId("desk-lightbox-close").ClickAsync();
        await Expect(lightbox).ToBeHiddenAsync();

        var pdf = message.GetByTestId("desk-attachment-file");
        await Expect(pdf.GetByTestId("desk-attachment-name")).ToHaveTextAsync("receipt.pdf");
        await Expect(pdf.GetByTestId("desk-attachment-size")).ToHaveTextAsync($"{Receipt.Length} B");
        var download = await desk.RunAndWaitForDownloadAsync(() => pdf.ClickAsync());
        Assert.Equal("receipt.pdf", download.SuggestedFilename);
        Assert.Equal(Receipt, await File.ReadAllBytesAsync((await download.PathAsync())!));

        // The plain text instead: the quote after "On … wrote:" folded the same way.
        await message.GetByTestId("desk-message-plain-toggle").ClickAsync();
        var text = message.GetByTestId("desk-message-text");
        await Expect(text).ToBeVisibleAsync();
        await Expect(message.GetByTestId("desk-message-html")).ToBeHiddenAsync();
        var plainQuote = text.GetByTestId("desk-quote");
        await Expect(plainQuote.Locator(".msg-quote-text")).ToBeHiddenAsync();
        await plainQuote.GetByTestId("desk-quote-toggle").ClickAsync();
        await Expect(plainQuote.Locator(".msg-quote-text")).ToContainTextAsync("> Your order #1001 has shipped");
        await message.GetByTestId("desk-message-plain-toggle").ClickAsync();
        await Expect(message.GetByTestId("desk-message-html")).ToBeVisibleAsync();

        // An out-of-office answer arrives live: shown muted, labelled, with its HTML and file like the first.
        await channel.SendAsync(new
        {
            id = "m2@buyer.test", from = "buyer@buyer.test", subject = "Automatic reply: " + Subject, inReplyTo = "m1@buyer.test", autoSubmitted = true,
            text = "I am away until Monday.", html = "<p>I am <i>away</i> until Monday.</p>",
            files = new[] { RichChannel.File("away.png", "image/png", Picture(40, 40)) },
        });
        var auto = desk.Locator("[data-testid=desk-message][data-auto=true]");
        await Expect(auto).ToHaveCountAsync(1);
        await Expect(auto.GetByTestId("desk-message-auto")).ToBeVisibleAsync();
        await Expect(auto.GetByTestId("desk-message-subject")).ToHaveTextAsync("Automatic reply: " + Subject);
        await Expect(desk.FrameLocator("[data-testid=desk-message][data-auto=true] [data-testid=desk-message-frame]").Locator("i")).ToHaveTextAsync("away");
        await Expect(auto.GetByTestId("desk-attachment-image")).ToHaveCountAsync(1);
        await Expect(message.First.Locator("[data-testid=desk-message-frame]").ContentFrame.Locator("blockquote")).ToBeVisibleAsync(); // the first frame was not rebuilt

        if (Environment.GetEnvironmentVariable("DESK_SCREENSHOT") is { Length: > 0 } shot)
        {
            await desk.ScreenshotAsync(new() { Path = shot });
        }

        // Nothing in the email ran, in the frame or in the desk.
        Assert.Equal(title, await desk.TitleAsync());
        Assert.True(await desk.EvaluateAsync<bool>("() => window.__pwned === undefined"));

        // A file over the gateway's limit is refused with the server's reason; the agent removes it.
        await desk.GetByTestId("desk-attach-input").SetInputFilesAsync(new FilePayload { Name = "big.pdf", MimeType = "application/pdf", Buffer = [.. Receipt, .. new byte[200_000]] });
        var chip = desk.GetByTestId("desk-reply-file");
        await Expect(chip).ToHaveAttributeAsync("data-state", "error");
        await Expect(chip.GetByTestId("desk-reply-file-error")).ToContainTextAsync("100 KB");
        await chip.GetByTestId("desk-reply-file-remove").ClickAsync();
        await Expect(chip).ToHaveCountAsync(0);

        // The agent attaches a file and answers: the file goes out with the reply, and the desk shows it.
        var chart = Encoding.ASCII.GetBytes("%PDF-1.4\n% return label\n%%EOF\n");
        await desk.GetByTestId("desk-attach-input").SetInputFilesAsync(new FilePayload { Name = "return-label.pdf", MimeType = "application/pdf", Buffer = chart });
        await Expect(chip).ToHaveAttributeAsync("data-state", "done");
        await desk.GetByTestId("desk-reply").FillAsync("Sorry about that! Here is your return label.");
        await desk.GetByTestId("desk-send").ClickAsync();
        var sent = await channel.SentAsync(s => s.GetProperty("text").GetString() == "Sorry about that! Here is your return label.");
        var sentFile = Assert.Single(sent.GetProperty("files").EnumerateArray());
        Assert.Equal("return-label.pdf", sentFile.GetProperty("name").GetString());
        Assert.Equal(chart, Convert.FromBase64String(sentFile.GetProperty("base64").GetString()!));
        var reply = desk.Locator("[data-testid=desk-message][data-direction=out]");
        await Expect(reply.GetByTestId("desk-attachment-name")).ToHaveTextAsync("return-label.pdf");
        await Expect(reply).ToHaveAttributeAsync("data-status", "sent");
        await Expect(reply.GetByTestId("desk-attachment-name")).ToHaveTextAsync("return-label.pdf"); // still there after the status change
        await Expect(chip).ToHaveCountAsync(0);
        await Expect(desk.GetByTestId("desk-reply")).ToHaveValueAsync("");

        Assert.Equal(title, await desk.TitleAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AFileForAReplyOnATextOnlyChannel_ShowsWhyItCannotGo_AndKeepsTheDraftAndTheFile()
    {
        await using var channel = await RichChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = channel.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "alice");
        // The probe test channel carries text only (the web chat carries files).
        await Routing.RoutingTests.Inbound(channel.Provider, "p1", "+15550001234", "hello, is this in stock?\n\n在 2025年12月1日 10:00，小店 写道：\n> 这款有M码");

        // The quote after "在 … 写道：" is folded.
        await desk.GetByTestId("desk-conversation").ClickAsync();
        var asked = desk.Locator("[data-testid=desk-message][data-direction=in]");
        await Expect(asked).ToContainTextAsync("is this in stock?");
        await Expect(asked.GetByTestId("desk-quote").Locator(".msg-quote-text")).ToBeHiddenAsync();
        await asked.GetByTestId("desk-quote-toggle").ClickAsync();
        await Expect(asked.GetByTestId("desk-quote").Locator(".msg-quote-text")).ToHaveTextAsync("在 2025年12月1日 10:00，小店 写道：\n> 这款有M码");

        // A pasted picture and a dropped file become chips; removed again.
        await desk.GetByTestId("desk-reply").EvaluateAsync("""
            (box) => {
              const data = new DataTransfer();
              data.items.add(new File([new Uint8Array([137, 80, 78, 71])], '', { type: 'image/png' }));
              box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
              const dropped = new DataTransfer();
              dropped.items.add(new File(['size chart'], 'sizes.txt', { type: 'text/plain' }));
              box.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
            }
            """);
        var chips = desk.GetByTestId("desk-reply-file");
        await Expect(chips).ToHaveCountAsync(2);
        await Expect(chips.First).ToHaveAttributeAsync("data-name", new System.Text.RegularExpressions.Regex(@"^pasted-\d{8}-\d{6}\.png$"));
        await Expect(chips.Last).ToHaveAttributeAsync("data-name", "sizes.txt");
        await Expect(chips.Last).ToHaveAttributeAsync("data-state", "done");
        await chips.First.GetByTestId("desk-reply-file-remove").ClickAsync();
        await chips.First.GetByTestId("desk-reply-file-remove").ClickAsync();
        await Expect(chips).ToHaveCountAsync(0);
        await desk.GetByTestId("desk-attach-input").SetInputFilesAsync(new FilePayload { Name = "photo.png", MimeType = "image/png", Buffer = Picture(32, 32) });
        var chip = desk.GetByTestId("desk-reply-file");
        await Expect(chip).ToHaveAttributeAsync("data-state", "done");
        await Expect(chip.Locator("img")).ToHaveCountAsync(1); // a picture's chip shows it
        await desk.GetByTestId("desk-reply").FillAsync("yes, here is a photo");
        await desk.GetByTestId("desk-send").ClickAsync();

        await Expect(desk.GetByTestId("desk-reply-error")).ToContainTextAsync("carries no files");
        await Expect(desk.GetByTestId("desk-reply")).ToHaveValueAsync("yes, here is a photo");
        await Expect(chip).ToHaveAttributeAsync("data-state", "done");
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=out]")).ToHaveCountAsync(0);

        // Without the file it goes.
        await chip.GetByTestId("desk-reply-file-remove").ClickAsync();
        await desk.GetByTestId("desk-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=out]")).ToContainTextAsync("yes, here is a photo");
        Assert.Empty(errors);
    }

    private static async Task WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        T value;
        while (!done(value = await read()))
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting: {what} (last {value})");
            await Task.Delay(100);
        }
    }

    /// <summary>A real PNG of the given size (a gradient), for pictures with a size to check.</summary>
    private static byte[] Picture(int width, int height)
    {
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            for (var x = 0; x < width; x++)
            {
                raw.Write([(byte)(60 + (x * 160 / width)), (byte)(120 + (y * 100 / height)), 200]);
            }
        }

        using var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", packed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
