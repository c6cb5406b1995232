using System.Globalization;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Language;

/// <summary>
/// zh-CN rendering: a Chinese browser (in New York, for the time zone) gets the desk and the widget in Chinese, times on
/// the shop's clock (Asia/Shanghai); the 中文 / EN switches change the language and keep it; an instance set to
/// <c>Language: en</c> speaks English even to a Chinese browser.
/// </summary>
public sealed class LanguageBrowserTests
{
    [Fact]
    public async Task ChineseBrowser_GetsDeskAndWidgetInChinese_OnTheShopsClock_AndTheSwitchesChangeAndKeepTheLanguage()
    {
        var plugins = GatewayHost.DefaultPluginsJson().Replace("\n] }", ",\n" + """{ "id": "webchat-en", "plugin": "WebChat", "enabled": true, "settings": { "Language": "en" } }""" + "\n] }");
        await using var host = await GatewayHost.StartAsync(pluginsJson: plugins);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = host.BaseAddress.ToString(),
            Locale = "zh-CN",
            TimezoneId = "America/New_York",
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = "zh-CN,zh;q=0.9" },
        });

        // The sign-in card, the top bar, the empty list and the composer: Chinese.
        var desk = await context.NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await desk.GotoAsync("/desk/");
        await Expect(desk.Locator("#login-view h1")).ToHaveTextAsync("登录客服工作台");
        await Expect(desk.GetByTestId("desk-login")).ToHaveTextAsync("登录");
        await Expect(desk.GetByTestId("desk-login-lang")).ToHaveAttributeAsync("data-lang", "zh");
        await Browser.SignInOnlineAsync(desk, "bob");
        await Expect(desk.GetByTestId("desk-tab-inbox")).ToHaveTextAsync("会话");
        await Expect(desk.GetByTestId("desk-logout")).ToHaveTextAsync("退出登录");
        await Expect(desk.GetByTestId("desk-presence").Locator("option:checked")).ToHaveTextAsync("在线");
        await Expect(desk.GetByTestId("desk-connection")).ToHaveTextAsync("已连接");
        await Expect(desk.Locator("#list-empty")).ToContainTextAsync("暂无进行中的会话");
        await Expect(desk.GetByTestId("desk-reply")).ToHaveAttributeAsync("placeholder", new Regex("^输入回复"));
        await Expect(desk.GetByTestId("desk-send")).ToHaveTextAsync("发送");
        var leftovers = await desk.EvaluateAsync<string>("""
            () => ['desk-tab-inbox', 'desk-tab-queues', 'desk-logout', 'desk-password-open', 'desk-presence', 'desk-connection',
                   'desk-send', 'desk-transfer', 'desk-close', 'desk-canned-open', 'desk-login', 'desk-password-save']
              .map((id) => document.querySelector(`[data-testid=${id}]`))
              .filter((e) => /[A-Za-z]{3,}/.test([e.textContent, e.title, e.getAttribute('aria-label'), e.getAttribute('placeholder')].join(' ')))
              .map((e) => `${e.dataset.testid}: ${e.textContent.trim()} ${e.title}`).join('; ')
            """);
        Assert.Equal("", leftovers);

        // The widget in the same browser: Chinese; a customer asks in Chinese.
        var shop = await context.NewPageAsync();
        shop.PageError += (_, e) => errors.Add("shop: " + e);
        await Browser.OpenChatAsync(shop);
        await Expect(shop.GetByTestId("cgw-title")).ToHaveTextAsync("在线咨询");
        await Expect(shop.GetByTestId("cgw-greeting")).ToHaveTextAsync("您好！请问有什么可以帮您？");
        await Expect(shop.GetByTestId("cgw-input")).ToHaveAttributeAsync("placeholder", "输入消息…");
        await Expect(shop.GetByTestId("cgw-send")).ToHaveAttributeAsync("aria-label", "发送");
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var before = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, shanghai);
        await shop.GetByTestId("cgw-input").FillAsync("你好，这件连衣裙有M码吗？");
        await shop.GetByTestId("cgw-send").ClickAsync();

        // On the desk, its time on the shop's clock (Shanghai), not the browser's (New York).
        await desk.GetByTestId("desk-conversation").ClickAsync();
        var asked = desk.Locator("[data-testid=desk-message][data-direction=in]");
        await Expect(asked).ToContainTextAsync("有M码吗");
        var after = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, shanghai);
        var shown = await asked.Locator(".msg-time").TextContentAsync();
        Assert.Contains(shown, new[] { before.ToString("HH:mm", CultureInfo.InvariantCulture), after.ToString("HH:mm", CultureInfo.InvariantCulture) });
        await Expect(asked.Locator(".msg-time")).ToHaveAttributeAsync("title", new Regex(@"^\d{4}年\d{1,2}月\d{1,2}日"));

        // EN: the desk changes and stays English after a reload.
        await desk.GetByTestId("desk-lang").ClickAsync();
        await Expect(desk.GetByTestId("desk-logout")).ToHaveTextAsync("Sign out");
        await desk.ReloadAsync();
        await Expect(desk.GetByTestId("desk-logout")).ToHaveTextAsync("Sign out");
        await Expect(desk.GetByTestId("desk-tab-inbox")).ToHaveTextAsync("Inbox");
        await Expect(desk.GetByTestId("desk-send")).ToHaveTextAsync("Send");

        // An instance set to Language: en speaks English to this Chinese browser; its switch turns it Chinese, kept on reload.
        var english = await context.NewPageAsync();
        english.PageError += (_, e) => errors.Add("english shop: " + e);
        await english.RouteAsync("**/en-shop.html", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = """<!doctype html><html><body><script src="/channels/webchat-en/widget.js" data-instance="webchat-en"></script></body></html>""",
        }));
        await english.GotoAsync("/en-shop.html");
        await english.GetByTestId("cgw-launcher").ClickAsync();
        await Expect(english.GetByTestId("cgw-title")).ToHaveTextAsync("Chat with us");
        await Expect(english.GetByTestId("cgw-greeting")).ToHaveTextAsync("Hi! How can we help you today?");
        await Expect(english.GetByTestId("cgw-send")).ToHaveAttributeAsync("aria-label", "Send");
        await english.GetByTestId("cgw-lang").ClickAsync();
        await Expect(english.GetByTestId("cgw-title")).ToHaveTextAsync("在线咨询");
        await Expect(english.GetByTestId("cgw-send")).ToHaveAttributeAsync("aria-label", "发送");
        await english.ReloadAsync();
        await Expect(english.GetByTestId("cgw-title")).ToHaveTextAsync("在线咨询");

        Assert.Empty(errors);
    }
}
