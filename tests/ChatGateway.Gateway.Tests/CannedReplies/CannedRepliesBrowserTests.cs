using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.CannedReplies;

/// <summary>
/// The desk's composer in a real browser: "/" and a shortcut insert a canned reply with the customer's name filled in (arrow
/// keys pick, Esc closes, the Replies button searches), and a reply with a forbidden phrase is held with the phrase marked,
/// why and what to say instead: Edit keeps the text unsent, Send anyway sends it and the supervisors' count goes up.
/// </summary>
public sealed class CannedRepliesBrowserTests
{
    [Fact]
    public async Task Slash_InsertsACannedReplyWithTheNameFilled_AndAForbiddenPhraseIsHeldUntilConfirmed()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-canned-desk", "你好，在吗"))).StatusCode);
        await desk.GetByTestId("desk-conversation").ClickAsync();
        var reply = desk.GetByTestId("desk-reply");
        var list = desk.GetByTestId("desk-canned");

        // "/nh" then Enter: the greeting with the buyer's name, the shop and bob.
        await reply.PressSequentiallyAsync("/nh");
        await Expect(list).ToBeVisibleAsync();
        await Expect(list.GetByTestId("desk-canned-item").First).ToHaveAttributeAsync("data-shortcut", "nh");
        await reply.PressAsync("Enter");
        await Expect(list).ToBeHiddenAsync();
        await Expect(reply).ToHaveValueAsync("李雷您好，欢迎光临演示小店！我是客服Bob，很高兴为您服务，请问有什么可以帮您？");

        // Arrow keys pick among the matches: "/s" offers ship, size, sorry; one down is size.
        await reply.FillAsync("");
        await reply.PressSequentiallyAsync("/s");
        await Expect(list.GetByTestId("desk-canned-item").Nth(0)).ToHaveAttributeAsync("data-shortcut", "ship");
        await reply.PressAsync("ArrowDown");
        await reply.PressAsync("Enter");
        await Expect(reply).ToHaveValueAsync("Hi 李雷, could you tell me your height, weight and the size you usually wear? I'll check our size chart and suggest the best fit.");

        // Esc closes the list and leaves what was typed.
        await reply.FillAsync("");
        await reply.PressSequentiallyAsync("/zz");
        await Expect(desk.GetByTestId("desk-canned-empty")).ToBeVisibleAsync();
        await reply.PressAsync("Escape");
        await Expect(list).ToBeHiddenAsync();
        await Expect(reply).ToHaveValueAsync("/zz");

        // The Replies button: a search over titles and texts; a click inserts.
        await reply.FillAsync("");
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await desk.GetByTestId("desk-canned-search").FillAsync("退换");
        await Expect(list.GetByTestId("desk-canned-item")).ToHaveCountAsync(1);
        await list.GetByTestId("desk-canned-item").ClickAsync();
        await Expect(reply).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^李雷，商品签收后7天内"));

        // Bob keeps a reply of his own from the panel, uses it with its shortcut, and deletes it.
        await reply.FillAsync("");
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await desk.GetByTestId("desk-canned-new").ClickAsync();
        await desk.GetByTestId("desk-canned-shortcut").FillAsync("yf");
        await desk.GetByTestId("desk-canned-title").FillAsync("运费");
        await desk.GetByTestId("desk-canned-text").FillAsync("{name}，运费我们来出～");
        await desk.GetByTestId("desk-canned-save").ClickAsync();
        var mine = list.Locator("[data-testid=desk-canned-item][data-shortcut=yf]");
        await Expect(mine).ToContainTextAsync("Mine");
        // The same shortcut again is refused with the gateway's reason.
        await desk.GetByTestId("desk-canned-new").ClickAsync();
        await desk.GetByTestId("desk-canned-shortcut").FillAsync("YF");
        await desk.GetByTestId("desk-canned-title").FillAsync("运费2");
        await desk.GetByTestId("desk-canned-text").FillAsync("运费");
        await desk.GetByTestId("desk-canned-save").ClickAsync();
        await Expect(desk.GetByTestId("desk-canned-error")).ToHaveTextAsync("shortcut 'yf' is already used by another of your replies");
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await Expect(list).ToBeHiddenAsync();
        await reply.PressSequentiallyAsync("/yf");
        await reply.PressAsync("Enter");
        await Expect(reply).ToHaveValueAsync("李雷，运费我们来出～");
        await reply.FillAsync("");
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await mine.GetByTestId("desk-canned-delete").ClickAsync();
        await mine.GetByTestId("desk-canned-delete").ClickAsync();
        await Expect(mine).ToHaveCountAsync(0);
        await desk.GetByTestId("desk-canned-open").ClickAsync();
        await using (var db = shop.Host.CreateDbContext())
        {
            Assert.False(await db.CannedReplies.AnyAsync(r => r.Shortcut == "yf"));
        }

        // A forbidden phrase: held, marked, with the reason and the suggested wording; Edit keeps the text unsent.
        const string text = "退货很麻烦的，这个不归我管";
        await reply.FillAsync(text);
        await reply.PressAsync("Enter");
        var guard = desk.GetByTestId("desk-guard");
        await Expect(guard).ToBeVisibleAsync();
        await Expect(guard.Locator("mark")).ToHaveTextAsync(["很麻烦", "不归我管"]);
        await Expect(guard.GetByTestId("desk-guard-match")).ToHaveCountAsync(2);
        await Expect(guard.GetByTestId("desk-guard-reason").First).ToHaveTextAsync("让顾客觉得自己给店里添了负担。");
        await Expect(guard.GetByTestId("desk-guard-suggestion").First).ToHaveTextAsync("“这个需要几个步骤，我一步一步帮您办好。”");
        await guard.GetByTestId("desk-guard-cancel").ClickAsync();
        await Expect(guard).ToBeHiddenAsync();
        await Expect(reply).ToHaveValueAsync(text);
        Assert.Equal(0, await RepliesAsync(shop, text));

        // Send anyway: it goes out, and the supervisors see it counted.
        await reply.PressAsync("Enter");
        await Expect(guard).ToBeVisibleAsync();
        await guard.GetByTestId("desk-guard-send").ClickAsync();
        await Expect(guard).ToBeHiddenAsync();
        await Expect(reply).ToHaveValueAsync("");
        await Expect(desk.GetByTestId("desk-messages")).ToContainTextAsync(text);
        Assert.Equal(1, await RepliesAsync(shop, text));
        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        var overrides = await alice.Http.GetFromJsonAsync<JsonElement>("/api/replies/overrides");
        Assert.Equal(2, overrides.GetProperty("total").GetInt32());
        Assert.Equal("Bob", overrides.GetProperty("byAgent")[0].GetProperty("agentName").GetString());

        // Alice's Queues view counts it per agent, with the phrases.
        var supervisorDesk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        supervisorDesk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(supervisorDesk, "alice");
        await supervisorDesk.GetByTestId("desk-tab-queues").ClickAsync();
        await Expect(supervisorDesk.GetByTestId("desk-overrides-count")).ToHaveTextAsync("2");
        var row = supervisorDesk.GetByTestId("desk-overrides-row");
        await Expect(row).ToContainTextAsync("Bob");
        await Expect(row.GetByTestId("desk-overrides-agent-count")).ToHaveTextAsync("2");
        await Expect(row.GetByTestId("desk-overrides-phrases")).ToContainTextAsync("“不归我管”");
        await Expect(row.GetByTestId("desk-overrides-phrases")).ToContainTextAsync("“很麻烦”");

        // A plain reply is not held.
        await reply.FillAsync("好的，马上为您处理");
        await reply.PressAsync("Enter");
        await Expect(reply).ToHaveValueAsync("");
        await Expect(guard).ToBeHiddenAsync();
        await Expect(desk.GetByTestId("desk-messages")).ToContainTextAsync("好的，马上为您处理");
        Assert.Empty(errors);
    }

    private static async Task<int> RepliesAsync(ShopOrders shop, string text)
    {
        await using var db = shop.Host.CreateDbContext();
        return await db.Messages.AsNoTracking().CountAsync(m => m.Direction == MessageDirection.Out && m.Text == text);
    }
}
