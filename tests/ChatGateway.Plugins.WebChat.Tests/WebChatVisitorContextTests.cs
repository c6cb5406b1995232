using System.Net;
using System.Text.Json;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>
/// What the widget tells about where the visitor is (the page, a product or the cart the shop passed to
/// <c>ChatGateway.setContext</c>) becomes the message's origin. Bad values tried: a javascript: link, a relative link, an
/// over-long title and link, a price that is text or negative, a currency that is not a code, a context that is not an
/// object, a product with nothing usable, a cart of nonsense items: each is cut or left out, and the message still goes.
/// </summary>
public sealed class WebChatVisitorContextTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Product_BecomesAProductOrigin_WithNameAndPriceAsItsTitle()
    {
        var origin = VisitorContextMapper.ToOrigin(Json("""{"product":{"id":"sku-42","name":"羊毛围巾","url":"https://shop.example.com/p/42","price":199,"currency":"cny"}}"""))!;

        Assert.Equal("product", origin.Kind);
        Assert.Equal("sku-42", origin.Reference);
        Assert.Equal("羊毛围巾 · ¥199.00", origin.Title);
        Assert.Equal("https://shop.example.com/p/42", origin.Url);
    }

    [Fact]
    public void Cart_BecomesACartOrigin_CountingItsItemsAndTotal()
    {
        var origin = VisitorContextMapper.ToOrigin(Json("""{"cart":{"items":[{"id":"a","name":"围巾","quantity":2,"price":99},{"id":"b","name":"手套","quantity":1,"price":99}],"total":297,"currency":"CNY"}}"""))!;

        Assert.Equal("cart", origin.Kind);
        Assert.Equal("3 items · ¥297.00", origin.Title);
        Assert.Null(origin.Url);
    }

    [Fact]
    public void Page_BecomesAPageOrigin_AndBadLinksAreLeftOut()
    {
        var page = VisitorContextMapper.ToOrigin(Json("""{"page":{"url":"https://shop.example.com/sale?x=1","title":"双十二 大促\n\t  Sale"}}"""))!;
        Assert.Equal("page", page.Kind);
        Assert.Equal("https://shop.example.com/sale?x=1", page.Url);
        Assert.Equal("双十二 大促 Sale", page.Title);

        var script = VisitorContextMapper.ToOrigin(Json("""{"page":{"url":"javascript:alert(1)","title":"Home"}}"""))!;
        Assert.Null(script.Url);
        Assert.Equal("Home", script.Title);
        Assert.Null(VisitorContextMapper.ToOrigin(Json("""{"page":{"url":"/relative/path"}}""")));
        Assert.Null(VisitorContextMapper.ToOrigin(Json("""{"page":{"url":"https://shop.example.com/""" + new string('a', 2000) + "\"}}")));
    }

    [Fact]
    public void BadValues_AreCutOrLeftOut_NeverThrown()
    {
        var longName = new string('围', 300);
        var product = VisitorContextMapper.ToOrigin(Json("""{"product":{"id":{"x":1},"name":" """ + longName + """ ","price":"cheap","currency":"yuan","url":"ftp://x"}}"""))!;
        Assert.Equal(VisitorContextMapper.MaxTitle, product.Title!.Length);
        Assert.EndsWith("…", product.Title, StringComparison.Ordinal);
        Assert.Null(product.Reference);
        Assert.Null(product.Url);

        Assert.Equal("x", VisitorContextMapper.ToOrigin(Json("""{"product":{"name":"x","price":-5,"currency":"CNY"}}"""))!.Title);
        Assert.Null(VisitorContextMapper.ToOrigin(Json("""{"product":{"image":"https://shop.example.com/a.png"}}""")));
        Assert.Null(VisitorContextMapper.ToOrigin(Json("""{"cart":{"items":"many","total":"lots"}}""")));
        Assert.Null(VisitorContextMapper.ToOrigin(Json("\"a string\"")));
        Assert.Null(VisitorContextMapper.ToOrigin(Json("""[{"page":{"title":"x"}}]""")));
        Assert.Null(VisitorContextMapper.ToOrigin(null));
    }

    [Fact]
    public async Task PostMessage_WithAContext_CarriesItsOrigin_AndABadContextNeverFailsTheMessage()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var withProduct = await host.PostMessageAsync(token, new
        {
            clientMessageId = "c1",
            text = "这条围巾有现货吗",
            context = new { product = new { id = "sku-42", name = "羊毛围巾", url = "https://shop.example.com/p/42", price = 199, currency = "CNY" } },
        });
        using var withNonsense = await host.PostMessageAsync(token, new { clientMessageId = "c2", text = "还有吗", context = new object[] { 1, "two" } });
        using var withBadPage = await host.PostMessageAsync(token, new { clientMessageId = "c3", text = "你好", context = new { page = new { url = "javascript:alert(1)", title = 42 } } });

        Assert.Equal(HttpStatusCode.Accepted, withProduct.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withNonsense.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withBadPage.StatusCode);
        var accepted = host.Inbound.Accepted.ToList();
        Assert.Equal(3, accepted.Count);
        Assert.Equal("product", accepted[0].Origin!.Kind);
        Assert.Equal("羊毛围巾 · ¥199.00", accepted[0].Origin!.Title);
        Assert.Null(accepted[1].Origin);
        // A number where the title was expected is shown as written; the script link is left out.
        Assert.Equal("page", accepted[2].Origin!.Kind);
        Assert.Equal("42", accepted[2].Origin!.Title);
        Assert.Null(accepted[2].Origin!.Url);
    }
}
