using ChatGateway.Gateway.FollowUps;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// <c>GET /api/desk/settings</c>: what the desk's pages need to show times as the shop reads them, before anyone signs in:
/// the shop's time zone (<c>BusinessHours:TimeZone</c>, an IANA name) and its name (<c>FollowUps:ShopName</c>).
/// Nothing in it is private: a shop's widget shows both to its customers.
/// </summary>
internal static class DeskSettingsEndpoints
{
    public static IEndpointRouteBuilder MapDeskSettingsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/desk/settings", (ShopTime shop, FollowUpSettings followUps) => Results.Ok(new
        {
            timeZone = shop.Zone.Id,
            shopName = followUps.Current.ShopName,
        })).AllowAnonymous().WithTags("Agent desk");
        return app;
    }
}
