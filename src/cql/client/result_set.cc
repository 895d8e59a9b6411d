// ResultSet, Row, Batch and PreparedStatement: the values requests take and give back.
#include <fmt/format.h>

#include "cql/client/session.h"
#include "cql/client/session_impl.h"
#include "base/overloaded.h"

namespace sluice::cql {

namespace {
const std::vector<ColumnSpec> kNoColumns;
const std::optional<std::string> kNoPagingState;
}  // namespace

const std::string& PreparedStatement::cql() const { return data_->cql; }
const std::vector<ColumnSpec>& PreparedStatement::bind_columns() const { return data_->bind_columns; }
const std::vector<ColumnSpec>& PreparedStatement::result_columns() const { return data_->result_columns; }

Batch& Batch::add(std::string cql, std::vector<Value> values) {
  statements.emplace_back(std::move(cql), std::move(values));
  return *this;
}

Batch& Batch::add(const PreparedStatement& prepared, std::vector<Value> values) {
  statements.emplace_back(prepared, std::move(values));
  return *this;
}

ResultSet::ResultSet(ResultMessage message, std::string coordinator, std::vector<std::string> warnings)
    : coordinator_(std::move(coordinator)), warnings_(std::move(warnings)) {
  std::visit(overloaded{
                 [&](Rows& rows) { rows_ = std::make_shared<Rows>(std::move(rows)); },
                 [&](SchemaChange& change) { schema_change_ = std::move(change); },
                 [&](Prepared& prepared) { prepared_ = std::move(prepared); },
                 [](auto&) {},
             },
             message);
}

const std::vector<ColumnSpec>& ResultSet::columns() const { return rows_ ? rows_->columns : kNoColumns; }

const std::optional<std::string>& ResultSet::paging_state() const {
  return rows_ ? rows_->paging_state : kNoPagingState;
}

bool ResultSet::applied() const {
  if (!rows_ || rows_->row_count == 0 || rows_->columns.empty() || rows_->columns[0].name != "[applied]") return true;
  auto v = rows_->cell(0, 0);
  const bool* b = v.ok() ? std::get_if<bool>(&*v) : nullptr;
  return b != nullptr && *b;
}

bool Row::is_null(std::size_t column) const {
  if (column >= rows_->column_count) return true;
  return rows_->cells[index_ * rows_->column_count + column].length < 0;
}

Result<Value> Row::value(std::size_t column) const { return rows_->cell(index_, column); }

Result<Value> Row::value(std::string_view column) const {
  auto index = column_index(column);
  if (!index.ok()) return index.error();
  return value(*index);
}

Result<std::size_t> Row::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < rows_->columns.size(); ++i) {
    if (rows_->columns[i].name == name) return i;
  }
  return Error(Errc::not_found, fmt::format("no column '{}' in the result", name));
}

Error Row::kind_error(const Value& v, std::size_t column) const {
  std::string name = column < rows_->columns.size() ? rows_->columns[column].name : std::to_string(column);
  if (std::holds_alternative<Null>(v)) return Error(Errc::not_found, fmt::format("column '{}' is null", name));
  return Error(Errc::invalid_argument, fmt::format("column '{}' holds a {} value", name, value_kind(v)));
}

}  // namespace sluice::cql
