using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.FollowUps.Customer;

/// <summary>The buyer's side in a real browser: the widget's notification setting and the survey's buttons.</summary>
public sealed class CustomerBrowserTests
{
    private static async Task<(IPlaywright, IBrowser, IPage, List<string>)> OpenShopAsync(GatewayHost host)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        var errors = new List<string>();
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);
        return (playwright, browser, shop, errors);
    }

    private static async Task<Guid> AskAsync(IPage shop, GatewayHost host, string text)
    {
        await shop.GetByTestId("cgw-input").FillAsync(text);
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]").Filter(new() { HasText = text })).ToHaveCountAsync(1);
        await using var db = host.CreateDbContext();
        return await db.Messages.Where(m => m.Text == text).Select(m => m.ConversationId).SingleAsync();
    }

    // Fails without the widget's setting (no cgw-settings-toggle) or without the preferences endpoint (nothing stored).
    [Fact]
    public async Task Visitor_TicksNoOffers_InTheWidget_AndTheStoreKeepsIt()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser, shop, errors) = await OpenShopAsync(host);
        using var _ = playwright;
        await using var __ = browser;
        var conversationId = await AskAsync(shop, host, "is this in stock?");

        await shop.GetByTestId("cgw-settings-toggle").ClickAsync();
        await Expect(shop.GetByTestId("cgw-outreach-all")).ToBeCheckedAsync();
        await shop.GetByTestId("cgw-outreach-no-marketing").CheckAsync();
        await Expect(shop.GetByTestId("cgw-settings")).ToHaveAttributeAsync("data-saved", "no-marketing");
        await Expect(shop.GetByTestId("cgw-settings-note")).ToContainTextAsync("Saved");

        await using (var db = host.CreateDbContext())
        {
            var contact = await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.Contact!).SingleAsync();
            Assert.NotNull(contact.MarketingOptOutAt);
            Assert.Null(contact.OptOutAllAt);
        }

        // Shown again from the store after a reload.
        await shop.ReloadAsync();
        await shop.GetByTestId("cgw-settings-toggle").ClickAsync();
        await Expect(shop.GetByTestId("cgw-outreach-no-marketing")).ToBeCheckedAsync();
        Assert.Empty(errors);
    }

    // Fails without WebChatSender passing Choices (no buttons), without the widget's buttons, or without SurveyAnswers
    // (the "5" routed the conversation to Alice).
    [Fact]
    public async Task SurveyButtons_ShowInTheWidget_AndClickingFive_RecordsFive_WithoutAnAgent()
    {
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson().Replace("\"MaxMessageLength\": 500,", "\"MaxMessageLength\": 500, \"ShopName\": \"示例商店 Demo Shop\","));
        await using var alice = await host.SignInAsync("alice");
        var (playwright, browser, shop, errors) = await OpenShopAsync(host);
        using var _ = playwright;
        await using var __ = browser;

        var conversationId = await AskAsync(shop, host, "do you have this jacket in M?");
        Assert.Equal(conversationId, (await alice.NextAssignedAsync()).Id);
        await alice.ReplyAsync(conversationId, "yes, in stock");
        await alice.CloseAsync(conversationId);
        await CustomerKit.PutSurveyAsync(host, conversationId, DateTimeOffset.UtcNow);

        // Pushed live, from the shop (no agent's name), with five buttons.
        var survey = shop.Locator("[data-testid=cgw-message][data-direction=out]").Filter(new() { HasText = "回复1-5" });
        await Expect(survey.Locator(".cgw-author")).ToHaveTextAsync("示例商店 Demo Shop");
        await Expect(survey.GetByTestId("cgw-choice")).ToHaveCountAsync(5);

        // Still there after a reload (from the history).
        await shop.ReloadAsync();
        await Expect(survey.GetByTestId("cgw-choice")).ToHaveCountAsync(5);

        await survey.Locator("[data-testid=cgw-choice][data-choice='5']").ClickAsync();
        // The bubble's text is exactly "5" (a message's time, 04:25, also holds a 5).
        var five = shop.Locator(".cgw-bubble", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^\\s*5\\s*$") });
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]").Filter(new() { Has = five })).ToHaveCountAsync(1);
        await Expect(shop.GetByTestId("cgw-choice")).ToHaveCountAsync(0);
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=out]").Filter(new() { HasText = "Thanks for your rating" })).ToHaveCountAsync(1);
        await Expect(shop.GetByTestId("cgw-status")).ToHaveAttributeAsync("data-status", "closed");

        var rated = await CustomerKit.ConversationAsync(host, conversationId);
        Assert.Equal(5, rated.SurveyRating);
        Assert.Equal(ConversationStatus.Closed, rated.Status);
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromSeconds(1)));
        Assert.Empty(errors);
    }
}
