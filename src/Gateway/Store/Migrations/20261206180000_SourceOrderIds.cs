using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <summary>
    /// Orders get the source's key (Shopify's numeric id) beside the id shown to buyers and agents (Shopify's name #1001);
    /// orders stored before keep theirs: the key is the shown id.
    /// </summary>
    public partial class SourceOrderIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SourceOrderId",
                table: "Orders",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.Sql("UPDATE \"Orders\" SET \"SourceOrderId\" = \"ExternalOrderId\";");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_SourceInstanceId_SourceOrderId",
                table: "Orders",
                columns: new[] { "SourceInstanceId", "SourceOrderId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Orders_SourceInstanceId_SourceOrderId",
                table: "Orders");

            migrationBuilder.DropColumn(
                name: "SourceOrderId",
                table: "Orders");
        }
    }
}
