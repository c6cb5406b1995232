using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// Files in the shop's web chat, in a real browser against the real gateway and its store: a customer's photo reaches
/// the agent, the agent's PDF reaches the customer, pictures show inline and files download with their own bytes.
/// </summary>
public sealed class WidgetFilesBrowserTests
{
    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% size chart\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");

    [Fact]
    public async Task CustomersPhoto_FromTheFilePicker_ReachesTheAgent_AndTheAgentsPdf_ReachesTheWidget_AsADownloadOfTheSameBytes()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);

        // The customer picks a photo: a preview, uploaded, then sent with a question.
        await shop.GetByTestId("cgw-file-input").SetInputFilesAsync(new FilePayload { Name = "shelf.png", MimeType = "image/png", Buffer = RichChannel.Png });
        var preview = shop.GetByTestId("cgw-attachment-preview");
        await Expect(preview).ToHaveAttributeAsync("data-state", "done");
        await Expect(preview).ToContainTextAsync("shelf.png");
        await Expect(preview.GetByTestId("cgw-attachment-thumb")).ToHaveCountAsync(1);
        await shop.GetByTestId("cgw-input").FillAsync("Is this one in stock?");
        await shop.GetByTestId("cgw-send").ClickAsync();
        var mine = shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]");
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(shop.GetByTestId("cgw-tray")).ToBeHiddenAsync();

        // The agent's desk API shows the message with the photo, whose link gives the same bytes.
        var assigned = await bob.NextAssignedAsync();
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        var message = Assert.Single(conversation.Messages!, m => m.Direction == "in");
        Assert.Equal("Is this one in stock?", message.Text);
        var photo = Assert.Single(message.Attachments);
        Assert.Equal(("shelf.png", "image/png"), (photo.FileName, photo.ContentType));
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(photo.Url));

        // The widget shows the photo as a loaded picture.
        await shop.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=cgw-message][data-direction=in] [data-testid=cgw-file-image] img'); return !!i && i.complete && i.naturalWidth > 0; }");

        // The agent uploads a PDF and answers with it; it arrives live as a download link of the same bytes.
        var uploaded = await RichMessageTests.UploadAsync(bob.Http, assigned.Id, "size-chart.pdf", "application/pdf", Pdf, HttpStatusCode.Created);
        var reply = await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "Yes! Here is the size chart", attachments = new[] { uploaded.GetProperty("id").GetString() } });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var answer = shop.Locator("[data-testid=cgw-message][data-direction=out]");
        await Expect(answer).ToContainTextAsync("Here is the size chart");
        var link = answer.GetByTestId("cgw-file-link");
        await Expect(link).ToContainTextAsync("size-chart.pdf");
        var href = (await link.GetAttributeAsync("href"))!;
        using var anyone = host.CreateClient();
        using (var download = await anyone.GetAsync(href))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(Pdf, await download.Content.ReadAsByteArrayAsync());
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        }

        // The link is the customer's: another file's id under its signature is not served.
        var forged = href.Replace(uploaded.GetProperty("id").GetString()!, photo.Id, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await anyone.GetAsync(forged)).StatusCode);

        // After a reload the history shows both files again.
        await shop.ReloadAsync();
        if (!await shop.GetByTestId("cgw-input").IsVisibleAsync())
        {
            await shop.GetByTestId("cgw-launcher").ClickAsync();
        }

        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=out] [data-testid=cgw-file-link]")).ToContainTextAsync("size-chart.pdf");
        await shop.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=cgw-file-image] img'); return !!i && i.complete && i.naturalWidth > 0; }");

        // The thumbnail opens the picture full size.
        await shop.GetByTestId("cgw-file-image").ClickAsync();
        await Expect(shop.GetByTestId("cgw-lightbox")).ToBeVisibleAsync();
        await shop.WaitForFunctionAsync("() => document.querySelector('[data-testid=cgw-lightbox-image]').naturalWidth > 0");
        await shop.GetByTestId("cgw-lightbox-close").ClickAsync();
        await Expect(shop.GetByTestId("cgw-lightbox")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task PastedScreenshot_AndDroppedPdf_GoTogetherWithoutText_AndAFileTheServerRefuses_ShowsItsReason()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);
        await shop.GetByTestId("cgw-input").FillAsync("Is this one in stock?");
        await shop.GetByTestId("cgw-send").ClickAsync();
        var assigned = await bob.NextAssignedAsync();

        // A page that calls itself a photo: the server reads its bytes and refuses it; the widget shows why.
        await DropAsync(shop, "photo.png", "image/png", Encoding.UTF8.GetBytes("<!DOCTYPE html><html><script>alert(1)</script></html>"));
        var refused = shop.Locator("[data-testid=cgw-attachment-preview][data-state=error]");
        await Expect(refused.GetByTestId("cgw-attachment-error")).ToContainTextAsync("not accepted");
        await Expect(shop.GetByTestId("cgw-send")).ToHaveAttributeAsync("aria-disabled", "true");
        await refused.GetByTestId("cgw-attachment-remove").ClickAsync();
        await Expect(refused).ToHaveCountAsync(0);

        // A screenshot pasted into the text box and a PDF dropped on the panel go in one message, without text.
        await shop.GetByTestId("cgw-input").EvaluateAsync(
            """
            (input, base64) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
              input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }
            """,
            Convert.ToBase64String(RichChannel.Png));
        await DropAsync(shop, "receipt.pdf", "application/pdf", Pdf);
        await Expect(shop.Locator("[data-testid=cgw-attachment-preview][data-state=done]")).ToHaveCountAsync(2);
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]")).ToHaveCountAsync(2);

        var sent = await bob.NextMessageAsync(m => m.Attachments.Count == 2);
        Assert.Equal(assigned.Id, sent.ConversationId);
        Assert.Equal("", sent.Message.Text);
        Assert.StartsWith("pasted-", sent.Message.Attachments[0].FileName, StringComparison.Ordinal);
        Assert.Equal(("image/png", "receipt.pdf", "application/pdf"), (sent.Message.Attachments[0].ContentType, sent.Message.Attachments[1].FileName, sent.Message.Attachments[1].ContentType));
        Assert.Equal(Pdf, await bob.Http.GetByteArrayAsync(sent.Message.Attachments[1].Url));

        // The photo-only message shows the picture and the file, no empty bubble.
        var last = shop.Locator("[data-testid=cgw-message][data-direction=in]").Last;
        await Expect(last.Locator(".cgw-bubble")).ToHaveCountAsync(0);
        await Expect(last.GetByTestId("cgw-file-link")).ToContainTextAsync("receipt.pdf");
        await shop.WaitForFunctionAsync("() => { const m = [...document.querySelectorAll('[data-testid=cgw-message][data-direction=in]')].pop(); const i = m && m.querySelector('[data-testid=cgw-file-image] img'); return !!i && i.complete && i.naturalWidth > 0; }");
        Assert.Empty(errors);
    }

    /// <summary>Drops a file on the widget's panel, as a browser does when one is dragged there from the desktop.</summary>
    private static Task DropAsync(IPage shop, string name, string type, byte[] bytes) =>
        shop.GetByTestId("cgw-panel").EvaluateAsync(
            """
            (panel, file) => {
              const bytes = Uint8Array.from(atob(file.base64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], file.name, { type: file.type }));
              for (const kind of ['dragenter', 'dragover', 'drop']) {
                panel.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
              }
            }
            """,
            new { name, type, base64 = Convert.ToBase64String(bytes) });
}
