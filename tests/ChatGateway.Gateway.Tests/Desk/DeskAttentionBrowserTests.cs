using System.Text.Json;
using ChatGateway.Gateway.Tests.Chats;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Desk;

/// <summary>
/// What keeps an agent's attention on the desk, in a real browser: sound and desktop notifications (the permission
/// granted to the browser, the agent turning them on from the bell) and working from the keyboard, with emoji, links in
/// customers' text and a pasted picture.
/// </summary>
public sealed class DeskAttentionBrowserTests
{
    /// <summary>Records what the page asks of the browser's Notification and audio, so the test sees what the agent would.</summary>
    private const string Recorder = """
        (() => {
          window.__notes = [];
          window.__plays = 0;
          const Real = window.Notification;
          function Recorded(title, options) {
            const n = { title, body: options && options.body, tag: options && options.tag, data: options && options.data, hidden: document.hidden, onclick: null, close() {} };
            window.__notes.push(n);
            return n;
          }
          Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
          Recorded.requestPermission = (...a) => Real.requestPermission(...a);
          window.Notification = Recorded;
          HTMLMediaElement.prototype.play = function () { window.__plays++; return Promise.resolve(); };
        })();
        """;

    [Fact]
    public async Task Notifications_ANewConversationAndAMessageInTheBackground_ChimeAndNotifyWithTheCustomersName_TheOpenOneDoesNot()
    {
        await using var channel = await ChatChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new() { BaseURL = channel.Host.BaseAddress.ToString(), Permissions = ["notifications"] });
        await context.AddInitScriptAsync(Recorder);
        var desk = await context.NewPageAsync();
        var errors = new List<string>();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        // Sound is on by default; desktop notifications are turned on from the bell, and stay on after a reload.
        await desk.GetByTestId("desk-notify-open").ClickAsync();
        await Expect(desk.GetByTestId("desk-notify-sound")).ToBeCheckedAsync();
        await Expect(desk.GetByTestId("desk-notify-desktop")).Not.ToBeCheckedAsync();
        await desk.GetByTestId("desk-notify-desktop").CheckAsync();
        await Expect(desk.GetByTestId("desk-notify-desktop")).ToBeCheckedAsync();
        await Expect(desk.GetByTestId("desk-notify-open")).ToHaveAttributeAsync("data-state", "on");
        await desk.ReloadAsync();
        await Expect(desk.GetByTestId("desk-connection")).ToHaveAttributeAsync("data-state", "live");
        await desk.GetByTestId("desk-notify-open").ClickAsync();
        await Expect(desk.GetByTestId("desk-notify-desktop")).ToBeCheckedAsync();
        await desk.Keyboard.PressAsync("Escape");
        await Expect(desk.GetByTestId("desk-notify-panel")).ToBeHiddenAsync();
        await desk.EvaluateAsync("() => { window.__notes.length = 0; window.__plays = 0; }");

        // A new conversation: one notification with the customer's name, and a chime.
        await channel.EventsAsync(new { id = "n-1", from = "Uwang", name = "王小姐", text = "在吗？想问下尺码" });
        await NotesAsync(desk, 1);
        var first = await NotesAsync(desk);
        Assert.Equal("王小姐", first[0].GetProperty("title").GetString());
        Assert.Contains("在吗？想问下尺码", first[0].GetProperty("body").GetString());
        Assert.True(await desk.EvaluateAsync<int>("() => window.__plays") >= 1);

        // Her next message while her conversation is open in front of the agent: no notification.
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync("王小姐");
        await channel.EventsAsync(new { id = "n-2", from = "Uwang", name = "王小姐", text = "M码还有吗" });
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToHaveCountAsync(2);

        // A second customer (a question bob's pre-sale skill takes; 发货 would go to logistics, which bob does not serve):
        // a new conversation, notified; his next message, in the background, notified with the same tag.
        await channel.EventsAsync(new { id = "n-3", from = "Uli", name = "李先生", text = "这件外套有黑色吗" });
        await NotesAsync(desk, 2);
        await channel.EventsAsync(new { id = "n-4", from = "Uli", name = "李先生", text = "快递单号多少？" });
        await NotesAsync(desk, 3);
        var notes = await NotesAsync(desk);
        Assert.Equal(["王小姐", "李先生", "李先生"], notes.Select(n => n.GetProperty("title").GetString()));
        Assert.Equal("快递单号多少？", notes[2].GetProperty("body").GetString());
        Assert.Equal(notes[1].GetProperty("tag").GetString(), notes[2].GetProperty("tag").GetString());
        Assert.NotEqual(notes[0].GetProperty("tag").GetString(), notes[1].GetProperty("tag").GetString());
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync("王小姐");

        // A click on the notification opens his conversation.
        await desk.EvaluateAsync("() => window.__notes[2].onclick()");
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync("李先生");

        // Turned off: nothing more.
        await desk.GetByTestId("desk-notify-open").ClickAsync();
        await desk.GetByTestId("desk-notify-desktop").UncheckAsync();
        await desk.GetByTestId("desk-notify-sound").UncheckAsync();
        await Expect(desk.GetByTestId("desk-notify-open")).ToHaveAttributeAsync("data-state", "off");
        await desk.EvaluateAsync("() => { window.__plays = 0; }");
        await channel.EventsAsync(new { id = "n-5", from = "Uwang", name = "王小姐", text = "还在吗" });
        await Expect(desk.GetByTestId("desk-conversation").Filter(new() { HasText = "还在吗" })).ToHaveCountAsync(1);
        Assert.Equal(3, await desk.EvaluateAsync<int>("() => window.__notes.length"));
        Assert.Equal(0, await desk.EvaluateAsync<int>("() => window.__plays"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Keyboard_ShortcutsOnQuestionMark_AltArrowsMove_EmojiAtTheCaret_LinksInText_APastedPictureAttached()
    {
        await using var channel = await ChatChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var desk = await browser.NewPageAsync(new() { BaseURL = channel.Host.BaseAddress.ToString() });
        var errors = new List<string>();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        await channel.EventsAsync(new { id = "k-1", from = "Uwang", name = "王小姐", text = "尺码表见https://shop.example.com/size-chart?id=42。不要点 javascript:alert(1) 哦" });
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync("王小姐");
        await channel.EventsAsync(new { id = "k-2", from = "Uli", name = "李先生", text = "在吗" });
        await Expect(desk.GetByTestId("desk-conversation")).ToHaveCountAsync(2);

        // Links: the address is a link that opens apart from the desk, without the Chinese full stop; javascript: is text.
        var link = desk.GetByTestId("desk-message-link");
        await Expect(link).ToHaveCountAsync(1);
        await Expect(link).ToHaveTextAsync("https://shop.example.com/size-chart?id=42");
        await Expect(link).ToHaveAttributeAsync("href", "https://shop.example.com/size-chart?id=42");
        await Expect(link).ToHaveAttributeAsync("target", "_blank");
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("javascript:alert(1) 哦");

        // "?" away from a field lists the shortcuts; Esc closes the list.
        await desk.EvaluateAsync("() => document.activeElement && document.activeElement.blur()");
        await desk.Keyboard.PressAsync("?");
        var help = desk.GetByTestId("desk-shortcuts-help");
        await Expect(help).ToBeVisibleAsync();
        await Expect(help).ToContainTextAsync("Next conversation");
        await Expect(help).ToContainTextAsync("Close the conversation");
        await Expect(help).ToContainTextAsync("Transfer the conversation");
        await desk.Keyboard.PressAsync("Escape");
        await Expect(help).ToBeHiddenAsync();

        // From the reply box: Alt+↓ and Alt+↑ move between conversations, while typed letters stay typing.
        var names = await desk.GetByTestId("desk-conversation-name").AllTextContentsAsync();
        await desk.GetByTestId("desk-conversation").First.ClickAsync();
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[0]);
        var reply = desk.GetByTestId("desk-reply");
        await reply.FocusAsync();
        await desk.Keyboard.PressAsync("Alt+ArrowDown");
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[1]);
        await reply.PressSequentiallyAsync("jk?");
        await Expect(reply).ToHaveValueAsync("jk?");
        await Expect(help).ToBeHiddenAsync();
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[1]);
        await desk.Keyboard.PressAsync("Alt+ArrowUp");
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[0]);
        await desk.EvaluateAsync("() => document.activeElement && document.activeElement.blur()");
        await desk.Keyboard.PressAsync("j");
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[1]);
        await desk.Keyboard.PressAsync("k");
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[0]);

        // Emoji: a click puts one at the caret; the keyboard picks the next; Esc closes.
        await reply.FillAsync("谢谢亲");
        await reply.EvaluateAsync("r => r.setSelectionRange(2, 2)");
        await desk.GetByTestId("desk-emoji-open").ClickAsync();
        var picker = desk.GetByTestId("desk-emoji-picker");
        await Expect(picker).ToBeVisibleAsync();
        Assert.True(await picker.GetByTestId("desk-emoji").CountAsync() >= 80);
        await picker.Locator("[data-emoji='🌹']").ClickAsync();
        await Expect(picker).ToBeHiddenAsync();
        await Expect(reply).ToHaveValueAsync("谢谢🌹亲");
        await desk.GetByTestId("desk-emoji-open").ClickAsync();
        await desk.Keyboard.PressAsync("ArrowRight");
        await desk.Keyboard.PressAsync("Enter");
        await Expect(reply).ToHaveValueAsync("谢谢🌹😄亲");
        await desk.GetByTestId("desk-emoji-open").ClickAsync();
        await Expect(picker).ToBeVisibleAsync();
        await desk.Keyboard.PressAsync("Escape");
        await Expect(picker).ToBeHiddenAsync();
        await Expect(reply).ToBeFocusedAsync();

        // A pasted picture becomes one of the reply's files.
        await reply.EvaluateAsync("""
            r => {
              const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([png], 'image.png', { type: 'image/png' }));
              r.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }
            """);
        var chip = desk.GetByTestId("desk-reply-file");
        await Expect(chip).ToHaveCountAsync(1);
        await Expect(chip).ToHaveAttributeAsync("data-state", "done");
        await Expect(chip).ToHaveAttributeAsync("data-name", new System.Text.RegularExpressions.Regex(@"\.png$"));

        // Alt+T opens the transfer dialog (Esc closes it); Alt+C closes the conversation and the next one opens.
        await reply.FocusAsync();
        await desk.Keyboard.PressAsync("Alt+t");
        await Expect(desk.GetByTestId("desk-transfer-dialog")).ToBeVisibleAsync();
        await desk.Keyboard.PressAsync("Escape");
        await Expect(desk.GetByTestId("desk-transfer-dialog")).ToBeHiddenAsync();
        await reply.FocusAsync();
        await desk.Keyboard.PressAsync("Alt+c");
        await Expect(desk.GetByTestId("desk-conversation")).ToHaveCountAsync(1);
        await Expect(desk.GetByTestId("desk-contact-name")).ToHaveTextAsync(names[1]);
        Assert.Empty(errors);
    }

    /// <summary>Waits until the page has made <paramref name="count"/> notifications; otherwise fails showing those it made.</summary>
    private static async Task NotesAsync(IPage desk, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (await desk.EvaluateAsync<int>("() => window.__notes.length") != count)
        {
            Assert.True(DateTime.UtcNow < until, $"expected {count} notifications, saw {await desk.EvaluateAsync<string>("() => JSON.stringify(window.__notes)")}");
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement[]> NotesAsync(IPage desk) =>
        JsonSerializer.Deserialize<JsonElement[]>(await desk.EvaluateAsync<string>("() => JSON.stringify(window.__notes)"))!;
}
