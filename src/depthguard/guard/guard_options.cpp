#include "depthguard/guard/guard_options.h"

namespace depthguard {

const ChoiceTable<GuardPolicy>& guard_policy_choices() {
  static const ChoiceTable<GuardPolicy> table{
      {"halt", GuardPolicy::Halt}, {"skip", GuardPolicy::Skip}, {"rollback", GuardPolicy::Rollback},
      {"auto", GuardPolicy::Auto}};
  return table;
}

const ChoiceTable<GuardStage>& guard_stage_choices() {
  static const ChoiceTable<GuardStage> table{{"input", GuardStage::Input},
                                             {"loss", GuardStage::Loss},
                                             {"gradient", GuardStage::Gradient},
                                             {"weight", GuardStage::Weight}};
  return table;
}

const ChoiceTable<TransientPolicy>& transient_policy_choices() {
  static const ChoiceTable<TransientPolicy> table{
      {"retry", TransientPolicy::Retry}, {"skip", TransientPolicy::Skip}, {"halt", TransientPolicy::Halt}};
  return table;
}

const ChoiceTable<InjectSite>& inject_site_choices() {
  static const ChoiceTable<InjectSite> table{{"none", InjectSite::None},
                                             {"image", InjectSite::Image},
                                             {"depth", InjectSite::Depth},
                                             {"loss", InjectSite::Loss},
                                             {"gradient", InjectSite::Gradient},
                                             {"weight", InjectSite::Weight}};
  return table;
}

const ChoiceTable<InjectValue>& inject_value_choices() {
  static const ChoiceTable<InjectValue> table{{"nan", InjectValue::Nan}, {"inf", InjectValue::Inf}};
  return table;
}

}  // namespace depthguard
