using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Contacts;

/// <summary>
/// The contact panel in a real browser against the real gateway: the shop's page passes a product through the widget's
/// JavaScript API, the agent sees the page and the product beside the chat, labels the customer, puts them in a group,
/// writes a note, and finds it all again after reloading the desk.
/// </summary>
public sealed class ContactPanelBrowserTests
{
    [Fact]
    public async Task AgentSeesTheVisitorsPageAndProduct_LabelsGroupsAndNotesTheCustomer_AndAllIsThereAfterAReload()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        // The shop's product page tells the widget what the visitor looks at; the visitor asks about it.
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);
        await shop.WaitForFunctionAsync("() => window.ChatGateway && typeof window.ChatGateway.setContext === 'function'");
        await shop.EvaluateAsync("""
            () => ChatGateway.setContext({ product: { id: 'sku-42', name: '羊毛围巾', url: 'https://shop.example.com/p/42', price: 199, currency: 'CNY' } })
            """);
        await shop.GetByTestId("cgw-input").FillAsync("这条围巾有现货吗");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]")).ToHaveCountAsync(1);
        // The next message carries the page (the product went with the first, and is not sent again).
        await shop.GetByTestId("cgw-input").FillAsync("有红色的吗");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in][data-state=sent]")).ToHaveCountAsync(2);

        await desk.GetByTestId("desk-conversation").First.ClickAsync();
        var panel = desk.GetByTestId("desk-contact-panel");
        var product = panel.GetByTestId("desk-looking-product");
        await Expect(product).ToContainTextAsync("羊毛围巾 · ¥199.00");
        var productLink = product.Locator("a");
        await Expect(productLink).ToHaveAttributeAsync("href", "https://shop.example.com/p/42");
        await Expect(productLink).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(productLink).ToHaveAttributeAsync("target", "_blank");
        var page = panel.GetByTestId("desk-looking-page").Locator("a");
        await Expect(page).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^http://(127\\.0\\.0\\.1|localhost)"));
        await Expect(page).ToHaveTextAsync((await shop.TitleAsync()).Trim());

        // Two labels, one removed; a label too long is refused with the server's reason.
        await AddLabelAsync(desk, "爱砍价");
        await AddLabelAsync(desk, "要发票");
        await Expect(panel.GetByTestId("desk-label")).ToHaveCountAsync(2);
        await Expect(desk.GetByTestId("desk-thread-label")).ToHaveCountAsync(2);
        await panel.Locator("[data-testid=desk-label][data-label=要发票]").GetByTestId("desk-label-remove").ClickAsync();
        await Expect(panel.GetByTestId("desk-label")).ToHaveTextAsync(["爱砍价×"]);
        await desk.GetByTestId("desk-label-input").EvaluateAsync("i => i.removeAttribute('maxlength')");
        await desk.GetByTestId("desk-label-input").FillAsync(new string('x', 33));
        await desk.GetByTestId("desk-label-add").ClickAsync();
        await Expect(desk.GetByTestId("desk-label-error")).ToContainTextAsync("limit is 32");
        await Expect(panel.GetByTestId("desk-label")).ToHaveCountAsync(1);

        // The customer is in 退款中; a note for whoever serves them next.
        await panel.Locator("[data-testid=desk-group-toggle][data-group=退款中]").CheckAsync();
        await Expect(desk.GetByTestId("desk-thread-group")).ToHaveTextAsync(["退款中"]);
        await desk.GetByTestId("desk-note-input").FillAsync("客户申请退款：围巾起球，已让拍照");
        await desk.GetByTestId("desk-note-add").ClickAsync();
        var note = panel.GetByTestId("desk-contact-note");
        await Expect(note.GetByTestId("desk-contact-note-text")).ToHaveTextAsync("客户申请退款：围巾起球，已让拍照");
        await Expect(note.GetByTestId("desk-contact-note-meta")).ToContainTextAsync("Bob");
        await Expect(panel.GetByTestId("desk-contact-past")).ToHaveCountAsync(1);

        // After a reload, all of it is still there.
        await desk.ReloadAsync();
        await desk.GetByTestId("desk-conversation").First.ClickAsync();
        await Expect(panel.GetByTestId("desk-label")).ToHaveTextAsync(["爱砍价×"]);
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group=退款中]")).ToBeCheckedAsync();
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group=老客户]")).Not.ToBeCheckedAsync();
        await Expect(desk.GetByTestId("desk-thread-group")).ToHaveTextAsync(["退款中"]);
        await Expect(panel.GetByTestId("desk-contact-note-text")).ToHaveTextAsync(["客户申请退款：围巾起球，已让拍照"]);
        await Expect(panel.GetByTestId("desk-looking-product")).ToContainTextAsync("羊毛围巾");
        // Bob is no supervisor: the shop's list is not his to change.
        await Expect(panel.GetByTestId("desk-groups-manage")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task SupervisorRenamesAGroupInPlace_BadNamesAreRefusedWithTheReason_AndOlderPastConversationsPageIn()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "alice");
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);
        await shop.GetByTestId("cgw-input").FillAsync("你好，这件外套有M码吗？");
        await shop.GetByTestId("cgw-send").ClickAsync();
        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);

        // The customer came twelve times before (closed conversations, newest an hour ago).
        var id = Guid.Parse((await conversation.GetAttributeAsync("data-conversation-id"))!);
        await using (var db = host.CreateDbContext())
        {
            var current = await db.Conversations.AsNoTracking().SingleAsync(c => c.Id == id);
            for (var i = 1; i <= 12; i++)
            {
                var at = current.CreatedAt.AddHours(-i);
                db.Conversations.Add(new Conversation
                {
                    Id = Guid.NewGuid(), ContactId = current.ContactId, Status = ConversationStatus.Closed, Skill = current.Skill,
                    LastInstanceId = current.LastInstanceId, LastExternalId = current.LastExternalId, CreatedAt = at, LastMessageAt = at, ClosedAt = at.AddMinutes(5),
                });
            }

            await db.SaveChangesAsync();
        }

        await conversation.ClickAsync();
        var panel = desk.GetByTestId("desk-contact-panel");
        var past = panel.GetByTestId("desk-contact-past");
        await Expect(past).ToHaveCountAsync(10);
        await panel.GetByTestId("desk-contact-history-more").ClickAsync();
        await Expect(past).ToHaveCountAsync(13);
        await Expect(panel.GetByTestId("desk-contact-history-more")).ToHaveCountAsync(0);
        Assert.Equal(13, (await past.EvaluateAllAsync<string[]>("ps => ps.map(p => p.dataset.conversationId)")).Distinct().Count());
        await Expect(past.First).ToHaveAttributeAsync("data-conversation-id", id.ToString());

        // Alice keeps the shop's groups: 老客户 renamed in place; an empty name and another group's name are refused with
        // the server's reason and change nothing.
        await panel.GetByTestId("desk-groups-manage").Locator("summary").ClickAsync();
        var loyal = panel.Locator("[data-testid=desk-group-admin][data-group=老客户]");
        await loyal.GetByTestId("desk-group-rename").ClickAsync();
        var input = panel.GetByTestId("desk-group-rename-input");
        await Expect(input).ToHaveValueAsync("老客户");
        await input.FillAsync("  ");
        await panel.GetByTestId("desk-group-rename-save").ClickAsync();
        await Expect(desk.GetByTestId("desk-group-error")).ToContainTextAsync("name is required");
        await input.FillAsync("黑名单");
        await panel.GetByTestId("desk-group-rename-save").ClickAsync();
        await Expect(desk.GetByTestId("desk-group-error")).ToContainTextAsync("exists already");
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group=老客户]")).ToHaveCountAsync(1);
        await input.FillAsync("老客户 VIP");
        await input.PressAsync("Enter");
        await Expect(panel.Locator("[data-testid=desk-group-admin][data-group='老客户 VIP']")).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("desk-group-rename-input")).ToHaveCountAsync(0);
        await Expect(desk.GetByTestId("desk-group-error")).ToBeHiddenAsync();
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group='老客户 VIP']")).ToHaveCountAsync(1);
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group=老客户]")).ToHaveCountAsync(0);

        // Escape leaves a rename without changing anything.
        await panel.Locator("[data-testid=desk-group-admin][data-group=黑名单]").GetByTestId("desk-group-rename").ClickAsync();
        await panel.GetByTestId("desk-group-rename-input").FillAsync("白名单");
        await panel.GetByTestId("desk-group-rename-input").PressAsync("Escape");
        await Expect(panel.Locator("[data-testid=desk-group-admin][data-group=黑名单]")).ToHaveCountAsync(1);

        await desk.ReloadAsync();
        await desk.GetByTestId("desk-conversation").ClickAsync();
        await Expect(panel.Locator("[data-testid=desk-group-toggle][data-group='老客户 VIP']")).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    private static async Task AddLabelAsync(IPage desk, string label)
    {
        await desk.GetByTestId("desk-label-input").FillAsync(label);
        await desk.GetByTestId("desk-label-add").ClickAsync();
        await Expect(desk.Locator($"[data-testid=desk-label][data-label='{label}']")).ToHaveCountAsync(1);
    }
}
