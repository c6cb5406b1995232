using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatGateway.Gateway.Search;

/// <summary><c>GET /api/search?q=</c>: any signed-in agent searches every contact and conversation (what the list would show of them).</summary>
internal static class SearchEndpoints
{
    public static void MapSearchApi(this RouteGroupBuilder agent) =>
        agent.MapGet("/search", async Task<Results<Ok<SearchResultDto>, BadRequest<ErrorDto>>> (string? q, SearchQueries search, CancellationToken ct) =>
            SearchQueries.Refuse(q) is { } refused
                ? TypedResults.BadRequest(new ErrorDto(refused))
                : TypedResults.Ok(await search.SearchAsync(q!, ct)));
}
