using System.Text.RegularExpressions;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.CannedReplies;

/// <summary>
/// A canned reply with a picture, in a real browser: the agent keeps one from the 话术 panel with a size chart, inserts it
/// with "/" and a shortcut, and Send sends the text and the picture together; the customer receives both.
/// </summary>
public sealed class CannedFilesBrowserTests
{
    [Fact]
    public async Task CannedReplyWithAPicture_KeptFromThePanel_InsertedWithSlash_IsSentWithThePicture()
    {
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:MaxBytes"] = "102400" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var desk = await browser.NewPageAsync(new() { BaseURL = channel.Host.BaseAddress.ToString() });
        var errors = new List<string>();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");
        await channel.SendAsync(new { id = "cb1@buyer.test", from = "buyer@buyer.test", text = "有尺码表吗？" });
        await Expect(desk.GetByTestId("desk-thread")).ToBeVisibleAsync();

        // Kept from the panel: shortcut, title, text and the size chart.
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await desk.GetByTestId("desk-canned-new").ClickAsync();
        await desk.GetByTestId("desk-canned-shortcut").FillAsync("ccb");
        await desk.GetByTestId("desk-canned-title").FillAsync("尺码表");
        await desk.GetByTestId("desk-canned-text").FillAsync("亲，尺码表请看图～");
        await desk.GetByTestId("desk-canned-file-input").SetInputFilesAsync(new FilePayload { Name = "size-chart.png", MimeType = "image/png", Buffer = RichChannel.Png });
        var kept = desk.GetByTestId("desk-canned-file");
        await Expect(kept).ToHaveAttributeAsync("data-state", "done");
        await Expect(kept).ToHaveAttributeAsync("data-name", "size-chart.png");
        await desk.GetByTestId("desk-canned-save").ClickAsync();
        var item = desk.Locator("[data-testid=desk-canned-item][data-shortcut=ccb]");
        await Expect(item.GetByTestId("desk-canned-item-files").Locator("img")).ToHaveCountAsync(1);
        await desk.GetByTestId("desk-canned-open").ClickAsync();

        // "/ccb" and Enter: the text in the reply box and the picture among the reply's files.
        var reply = desk.GetByTestId("desk-reply");
        await reply.PressSequentiallyAsync("/ccb");
        await reply.PressAsync("Enter");
        await Expect(reply).ToHaveValueAsync("亲，尺码表请看图～");
        var chip = desk.GetByTestId("desk-reply-file");
        await Expect(chip).ToHaveAttributeAsync("data-state", "done");
        await Expect(chip).ToHaveAttributeAsync("data-name", "size-chart.png");

        // Send: one message with the text and the picture, shown as a picture; the customer gets both.
        await desk.GetByTestId("desk-send").ClickAsync();
        await Expect(reply).ToHaveValueAsync("");
        await Expect(chip).ToHaveCountAsync(0);
        var sent = desk.Locator("[data-testid=desk-message][data-direction=out]");
        await Expect(sent).ToContainTextAsync("亲，尺码表请看图～");
        var picture = sent.GetByTestId("desk-attachment-image");
        await Expect(picture).ToHaveCountAsync(1);
        await Expect(picture.Locator("img")).ToHaveAttributeAsync("src", new Regex("^/api/attachments/"));
        var delivered = await channel.SentAsync(s => s.GetProperty("text").GetString() == "亲，尺码表请看图～");
        Assert.Equal(RichChannel.Png, Convert.FromBase64String(Assert.Single(delivered.GetProperty("files").EnumerateArray()).GetProperty("base64").GetString()!));
        Assert.Empty(errors);
    }
}
