using System.Text.Json;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>The provider payloads the tests replay (Payloads/), as they arrive.</summary>
internal static class Payloads
{
    public static string Shopify(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", "Shopify", name + ".json"));

    /// <summary>Parses <paramref name="json"/> into an element that outlives its document.</summary>
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
